"""Factories for segments. MemberRfm rows are made here directly: the regroup job that writes
them in production is built elsewhere."""

from datetime import date
from decimal import Decimal

import factory

from members.models import MemberRfm, RfmGroup, Segment, empty_rule
from tests.members.factories import MemberFactory


class MemberRfmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberRfm

    member = factory.SubFactory(MemberFactory)
    as_of = date(2026, 5, 19)
    recency_days = 10
    frequency = 2
    monetary = Decimal("604.00")
    lifetime_days = 100
    group = RfmGroup.IMPORTANT_VALUE
    first_purchase_on = date(2026, 1, 29)
    last_purchase_on = date(2026, 5, 9)
    order_count = 2
    total_spent = Decimal("604.00")


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"分组{n}")
    rule = factory.LazyFunction(empty_rule)
