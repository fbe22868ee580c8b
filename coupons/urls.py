"""Coupon pages, included under coupons/ in the portal's URLs (namespace "portal")."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.store_coupons, name="coupons"),
    path("expiring/", views.expiring_this_week, name="coupons_expiring"),
]
