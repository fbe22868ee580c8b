"""RFM rows built directly (the regroup job lives on another branch), and a history builder.

`build_history` turns "each member's group at each run date" into what the regroup job writes:
one finished RfmRun per date, an RfmGroupChange whenever a member's group differs from the one
before (from_group "" when first grouped), and RfmGroupCount per run, store and group.
"""

from collections import Counter
from datetime import date, datetime, time
from decimal import Decimal

import factory
from django.utils import timezone

from members.models import (
    MemberRfm,
    RfmGroup,
    RfmGroupChange,
    RfmGroupCount,
    RfmRun,
    ThresholdMethod,
)
from tests.members.factories import MemberFactory


def finished_on(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(3, 0)))


class RfmRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RfmRun
        django_get_or_create = ["business_date"]

    business_date = date(2026, 6, 30)
    window_days = 365
    r_method = ThresholdMethod.MEDIAN
    f_method = ThresholdMethod.MEDIAN
    m_method = ThresholdMethod.MEDIAN
    r_threshold = Decimal("45.0000")
    f_threshold = Decimal("2.0000")
    m_threshold = Decimal("600.0000")
    active_members = 10
    members = 12
    finished_at = factory.LazyAttribute(lambda run: finished_on(run.business_date))


class MemberRfmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberRfm

    member = factory.SubFactory(MemberFactory)
    as_of = date(2026, 6, 30)
    recency_days = 12
    frequency = 5
    monetary = Decimal("1888.00")
    lifetime_days = 700
    group = RfmGroup.IMPORTANT_VALUE
    first_purchase_on = date(2024, 7, 1)
    last_purchase_on = date(2026, 6, 18)
    order_count = 9
    total_spent = Decimal("3021.00")


class RfmGroupChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RfmGroupChange

    member = factory.SubFactory(MemberFactory)
    business_date = date(2026, 6, 30)
    from_group = ""
    to_group = RfmGroup.IMPORTANT_VALUE
    store = factory.SelfAttribute("member.home_store")


class RfmGroupCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RfmGroupCount

    run = factory.SubFactory(RfmRunFactory)
    store = factory.SubFactory("tests.members.factories.StoreFactory")
    group = RfmGroup.IMPORTANT_VALUE
    members = 1


def build_history(timeline: dict, dates: list[date]) -> list[RfmRun]:
    """`timeline` maps a member to their group at each of `dates` (None: not grouped yet)."""
    runs = [RfmRunFactory(business_date=day) for day in dates]
    for member, groups in timeline.items():
        previous = ""
        for day, group in zip(dates, groups, strict=True):
            if group is not None and group != previous:
                RfmGroupChangeFactory(
                    member=member, business_date=day, from_group=previous, to_group=group
                )
            previous = group or previous
    for index, run in enumerate(runs):
        counts = Counter(
            (member.home_store_id, groups[index])
            for member, groups in timeline.items()
            if groups[index] is not None
        )
        RfmGroupCount.objects.bulk_create(
            RfmGroupCount(run=run, store_id=store_id, group=group, members=n)
            for (store_id, group), n in counts.items()
        )
    return runs
