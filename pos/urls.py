"""POS endpoints, authenticated by a store's API key (`Authorization: Api-Key <key>`)."""

from django.urls import path

from .api import OrderCreateView, RefundCreateView
from .api_coupons import CouponRedeemView, CouponReverseView, CouponValidateView

app_name = "pos"
urlpatterns = [
    path("orders/", OrderCreateView.as_view(), name="order-create"),
    # order_no names an Order of the key's store (Order.store, not the credited store).
    path("orders/<str:order_no>/refunds/", RefundCreateView.as_view(), name="refund-create"),
    path("coupons/validate/", CouponValidateView.as_view(), name="coupon-validate"),
    path("coupons/redeem/", CouponRedeemView.as_view(), name="coupon-redeem"),
    # code is matched case-insensitively, spaces dropped; a coupon redeemed at the key's store.
    path("coupons/<str:code>/reverse/", CouponReverseView.as_view(), name="coupon-reverse"),
]
