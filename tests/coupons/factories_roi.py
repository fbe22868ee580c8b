"""Redemptions written directly, for the ROI, portal and admin tests (the POS redemption service
itself is tested with the POS)."""

from decimal import Decimal

import factory
from django.utils import timezone

from coupons.models import CouponStatus, Redemption
from tests.coupons.factories import CouponFactory


class RedemptionFactory(factory.django.DjangoModelFactory):
    """A live redemption of a coupon at its issuing store, on a 302-yuan order."""

    class Meta:
        model = Redemption

    coupon = factory.SubFactory(CouponFactory, status=CouponStatus.REDEEMED)
    store = factory.SelfAttribute("coupon.store")
    order_no = factory.Sequence(lambda n: f"RO{n:08d}")
    order_amount = Decimal("302.00")
    discount = factory.SelfAttribute("coupon.face_value")
    redeemed_at = factory.LazyFunction(timezone.now)
