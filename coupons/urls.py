"""Coupon pages, included under coupons/ in the portal's URLs (namespace "portal")."""

from django.urls import path

from . import views, views_issuing

urlpatterns = [
    path("", views.store_coupons, name="coupons"),
    path("expiring/", views.expiring_this_week, name="coupons_expiring"),
    path("batches/new/", views_issuing.batch_new, name="coupon_batch_new"),
    path("batches/<int:pk>/", views_issuing.batch_detail, name="coupon_batch"),
    path(
        "batches/<int:pk>/progress/",
        views_issuing.batch_progress_fragment,
        name="coupon_batch_progress",
    ),
    path("<int:pk>/", views_issuing.coupon_detail, name="coupon_detail"),
    # `pk` names a Member: a guide hands out one allowed coupon on the member card.
    path(
        "members/<int:pk>/issue/",
        views_issuing.member_coupon_issue,
        name="member_coupon_issue",
    ),
]
