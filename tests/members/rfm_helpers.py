"""Small builders for the RFM tests: local times, orders, settings and table snapshots."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from jobs.models import JobChunk, JobRun
from members.models import (
    MemberRfm,
    RfmGroupChange,
    RfmGroupCount,
    RfmRun,
    RfmSettings,
)
from tests.members.factories import MemberFactory, OrderFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 6, 30)


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def days_ago(days: int, *, as_of: date = AS_OF, hour: int = 12) -> datetime:
    return local(as_of - timedelta(days=days), hour)


def buy(member, paid_at: datetime, amount="100.00", refunded="0.00"):
    return OrderFactory(
        member=member,
        store=member.home_store,
        paid_at=paid_at,
        amount=Decimal(amount),
        refunded_amount=Decimal(refunded),
    )


def population(stores, *, members=14, seed=3):
    """Members spread over `stores` with 0 to 4 orders in the last 500 days, some refunded."""
    rng = random.Random(seed)
    people = []
    for number in range(members):
        member = MemberFactory(home_store=stores[number % len(stores)])
        for _ in range(rng.randint(0, 4)):
            amount = Decimal(rng.randint(100, 60000)) / 100
            third = (amount / 3).quantize(Decimal("0.01"))
            refunded = rng.choice([Decimal(0), Decimal(0), third, amount])
            buy(member, days_ago(rng.randint(0, 500), hour=rng.randint(0, 23)), amount, refunded)
        people.append(member)
    return people


def rfm_settings(**fields) -> RfmSettings:
    current = RfmSettings.current()
    for name, value in fields.items():
        setattr(current, name, value)
    current.save()
    return current


def figures(member) -> tuple:
    """(R, F, M, L, group) of the member's MemberRfm."""
    row = MemberRfm.objects.get(member=member)
    return row.recency_days, row.frequency, row.monetary, row.lifetime_days, row.group


def rfm_snapshot() -> dict:
    """Everything the regroup writes, without primary keys or clock times."""
    return {
        "member_rfm": sorted(
            MemberRfm.objects.values_list(
                "member__phone",
                "as_of",
                "recency_days",
                "frequency",
                "monetary",
                "lifetime_days",
                "group",
                "first_purchase_on",
                "last_purchase_on",
                "order_count",
                "total_spent",
            )
        ),  # fmt: skip
        "changes": sorted(
            RfmGroupChange.objects.values_list(
                "member__phone", "business_date", "from_group", "to_group", "store__code"
            )
        ),
        "counts": sorted(
            RfmGroupCount.objects.values_list(
                "run__business_date", "store__code", "group", "members"
            )
        ),
        "runs": sorted(
            RfmRun.objects.values_list(
                "business_date",
                "window_days",
                "r_method",
                "f_method",
                "m_method",
                "r_threshold",
                "f_threshold",
                "m_threshold",
                "active_members",
                "members",
            )
        ),  # fmt: skip
        "finished": sorted(
            RfmRun.objects.filter(finished_at__isnull=False).values_list("business_date")
        ),
        "run_tables": run_tables(),
    }


def run_tables() -> list[str]:
    """The regroup's own MemberRfm tables still in the database (a finished run leaves none)."""
    prefix = f"{MemberRfm._meta.db_table}_next_"
    return sorted(
        name for name in connection.introspection.table_names() if name.startswith(prefix)
    )


def rfm_results_delete() -> None:
    """Forget every regroup (as if on a copy of the data that was never regrouped)."""
    for model in (RfmGroupChange, RfmGroupCount, MemberRfm, RfmRun, JobChunk, JobRun):
        model.objects.all().delete()
