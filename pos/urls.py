"""POS endpoints, authenticated by a store's API key (`Authorization: Api-Key <key>`)."""

from django.urls import path

from .api import OrderCreateView, RefundCreateView

app_name = "pos"
urlpatterns = [
    path("orders/", OrderCreateView.as_view(), name="order-create"),
    # order_no names an Order of the key's store (Order.store, not the credited store).
    path("orders/<str:order_no>/refunds/", RefundCreateView.as_view(), name="refund-create"),
]
