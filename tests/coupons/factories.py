from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from coupons.models import (
    BatchSource,
    BatchStatus,
    Coupon,
    CouponKind,
    CouponStatus,
    CouponTemplate,
    IssueBatch,
    TemplateStatus,
    ValidityKind,
)
from tests.members.factories import MemberFactory


class CouponTemplateFactory(factory.django.DjangoModelFactory):
    """An active 满200减30 (threshold, small) template valid 30 days from issue."""

    class Meta:
        model = CouponTemplate

    name = factory.Sequence(lambda n: f"满200减30券{n}")
    face_value = Decimal("30.00")
    min_spend = Decimal("200.00")
    kind = factory.LazyAttribute(
        lambda o: {
            (True, True): CouponKind.THRESHOLD_LARGE,
            (True, False): CouponKind.THRESHOLD_SMALL,
            (False, True): CouponKind.NO_THRESHOLD_LARGE,
            (False, False): CouponKind.NO_THRESHOLD_SMALL,
        }[(o.min_spend > 0, o.face_value >= Decimal("50.00"))]
    )
    validity = ValidityKind.RELATIVE
    valid_days = 30
    status = TemplateStatus.ACTIVE


class IssueBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssueBatch

    template = factory.SubFactory(CouponTemplateFactory)
    source = BatchSource.PHONES
    status = BatchStatus.FINISHED


class CouponFactory(factory.django.DjangoModelFactory):
    """An unused coupon of its batch's template, valid from today for 30 days."""

    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"C{n:011d}")
    batch = factory.SubFactory(IssueBatchFactory)
    template = factory.SelfAttribute("batch.template")
    member = factory.SubFactory(MemberFactory)
    store = factory.SelfAttribute("member.home_store")
    face_value = factory.SelfAttribute("template.face_value")
    min_spend = factory.SelfAttribute("template.min_spend")
    valid_from = factory.LazyFunction(lambda: timezone.localdate())
    valid_until = factory.LazyAttribute(lambda o: o.valid_from + timedelta(days=29))
    status = CouponStatus.ISSUED
    issued_at = factory.LazyFunction(timezone.now)


__all__ = ["CouponFactory", "CouponTemplateFactory", "IssueBatchFactory", "date"]
