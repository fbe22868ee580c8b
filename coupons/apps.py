from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouponsConfig(AppConfig):
    name = "coupons"
    verbose_name = _("优惠券")

    def ready(self):
        from . import segment_conditions  # noqa: F401  (registers the coupon segment conditions)
