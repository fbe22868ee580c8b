"""The 60-day conversion (回访转化): the window's edges in Asia/Shanghai local days, credited
once and to the most recent call that reached the member, refunds, and the POS path and the
nightly check agreeing (INV-JOB-RERUN: a re-run writes nothing)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from callbacks.models import CallbackTask, TaskStatus
from callbacks.services.conversion import (
    conversion_window_end,
    conversions_check,
    member_conversions_settle,
)
from callbacks.services.outcomes import callback_outcome_record
from jobs.models import JobStatus
from members.models import Channel
from pos.services import pos_order_create, pos_order_refund
from tests.callbacks.factories import CallbackTaskFactory
from tests.members.factories import MemberFactory, OrderFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY0 = date(2026, 3, 1)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


@pytest.fixture
def call(monkeypatch, guide_a):
    """Record a call at a given instant, through the service."""

    def _call(task, when, outcome=TaskStatus.REACHED):
        with monkeypatch.context() as patch:
            patch.setattr(timezone, "now", lambda: when)
            callback_outcome_record(task=task, outcome=outcome, actor=guide_a)
        task.refresh_from_db()
        return task

    return _call


def order(member, when, amount="302.00"):
    return OrderFactory(
        member=member, store=member.home_store, paid_at=when, amount=Decimal(amount)
    )


def settled(task):
    member_conversions_settle(task.member_id)
    task.refresh_from_db()
    return task


# --- The window ---------------------------------------------------------------------------------


@pytest.mark.parametrize("call_time", [(23, 30), (0, 30)])
@pytest.mark.parametrize(
    ("order_day", "order_time", "converts"),
    [
        (0, (23, 59), True),  # later the same local day
        (1, (0, 30), True),
        (60, (23, 59), True),  # day 60: in
        (61, (0, 0), False),  # day 61 from its first instant: out
        (61, (0, 30), False),
    ],
)
def test_an_order_converts_up_to_the_end_of_the_60th_local_day(
    member_a, call, call_time, order_day, order_time, converts
):
    task = call(CallbackTaskFactory(member=member_a), at(DAY0, *call_time))
    if order_day == 0 and order_time < call_time:
        pytest.skip("an order before the call")
    placed = order(member_a, at(day(order_day), *order_time))

    task = settled(task)

    assert (task.converted_order_id == placed.pk) is converts


def test_the_window_is_counted_in_shanghai_days_not_utc(member_a, call):
    # 00:30 in Shanghai is 16:30 UTC the day before: the window still runs from the local day.
    when = at(DAY0, 0, 30)
    task = call(CallbackTaskFactory(member=member_a), when)

    assert conversion_window_end(when) == at(day(61), 0, 0)
    assert task.conversion_until == at(day(61), 0, 0)


def test_an_order_before_the_call_does_not_convert(member_a, call):
    earlier = order(member_a, at(DAY0, 9, 0))
    task = call(CallbackTaskFactory(member=member_a), at(DAY0, 10, 0))

    assert settled(task).converted_order_id is None
    assert earlier.member_id == member_a.pk  # the member did buy, only before the call


@pytest.mark.parametrize("outcome", [TaskStatus.NOT_REACHED, TaskStatus.DECLINED])
def test_a_call_that_did_not_reach_or_was_declined_converts_nothing(member_a, call, outcome):
    task = call(CallbackTaskFactory(member=member_a), at(DAY0), outcome)
    order(member_a, at(day(3)))

    assert settled(task).converted_order_id is None


def test_the_converted_amount_is_the_orders_net_amount(member_a, call):
    task = call(CallbackTaskFactory(member=member_a), at(DAY0))
    placed = order(member_a, at(day(2)), "500.00")
    type(placed).objects.filter(pk=placed.pk).update(refunded_amount=Decimal("120.00"))

    task = settled(task)

    assert task.converted_amount == Decimal("380.00")
    assert task.converted_at == placed.paid_at


# --- Credited once, to the most recent call -----------------------------------------------------


def test_an_order_is_credited_to_the_most_recent_reaching_call_only(member_a, call):
    older = call(CallbackTaskFactory(member=member_a), at(day(1)), TaskStatus.SUCCESSFUL)
    newer = call(CallbackTaskFactory(member=member_a), at(day(10)))
    placed = order(member_a, at(day(20)))

    member_conversions_settle(member_a.pk)

    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.converted_order_id == placed.pk
    assert older.converted_order_id is None
    assert CallbackTask.objects.filter(converted_order=placed).count() == 1


def test_an_order_between_two_calls_goes_to_the_earlier_one(member_a, call):
    older = call(CallbackTaskFactory(member=member_a), at(day(1)))
    between = order(member_a, at(day(5)))
    newer = call(CallbackTaskFactory(member=member_a), at(day(10)))

    member_conversions_settle(member_a.pk)

    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.converted_order_id == between.pk and newer.converted_order_id is None


def test_a_task_is_converted_by_its_first_order_and_later_orders_go_nowhere_else(member_a, call):
    older = call(CallbackTaskFactory(member=member_a), at(day(1)))
    newer = call(CallbackTaskFactory(member=member_a), at(day(2)))
    first = order(member_a, at(day(3)), "100.00")
    order(member_a, at(day(4)), "900.00")

    member_conversions_settle(member_a.pk)

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (newer.converted_order_id, newer.converted_amount) == (first.pk, Decimal("100.00"))
    assert older.converted_order_id is None


def test_a_later_call_on_the_same_task_keeps_the_conversion_it_had(member_a, call):
    task = call(CallbackTaskFactory(member=member_a), at(day(1)))
    placed = order(member_a, at(day(3)))
    assert settled(task).converted_order_id == placed.pk

    call(task, at(day(5)), TaskStatus.SUCCESSFUL)

    assert settled(task).converted_order_id == placed.pk


def test_an_expired_window_is_not_replaced_by_an_older_callback(member_a, call):
    # The most recent call decides; an order past its window converts nothing at all.
    call(CallbackTaskFactory(member=member_a), at(day(0)))
    late = call(CallbackTaskFactory(member=member_a), at(day(1)))
    order(member_a, at(day(90)))

    member_conversions_settle(member_a.pk)

    assert not CallbackTask.objects.filter(converted_order__isnull=False).exists()
    assert late.pk


def test_another_members_order_never_converts_a_task(member_a, store_a, call):
    task = call(CallbackTaskFactory(member=member_a), at(day(1)))
    order(MemberFactory(home_store=store_a), at(day(2)))

    assert settled(task).converted_order_id is None


# --- Refunds ------------------------------------------------------------------------------------


def _pos_order(member, no, when, amount):
    return pos_order_create(
        store=member.home_store,
        order_no=no,
        phone=member.phone,
        guide_code=None,
        channel=Channel.STORE,
        paid_at=when,
        amount=Decimal(amount),
        lines=[],
    )


def test_a_full_refund_uncredits_and_the_next_order_in_the_window_is_credited(member_a, call):
    task = call(CallbackTaskFactory(member=member_a), at(day(1)))
    first = _pos_order(member_a, "R-1", at(day(2)), "300.00")
    task.refresh_from_db()
    assert task.converted_order_id == first.pk
    second = _pos_order(member_a, "R-2", at(day(4)), "80.00")

    pos_order_refund(
        store=member_a.home_store,
        order_no="R-1",
        refund_no="T-1",
        amount=Decimal("300.00"),
        refunded_at=at(day(6)),
    )

    task.refresh_from_db()
    assert (task.converted_order_id, task.converted_amount) == (second.pk, Decimal("80.00"))


def test_a_full_refund_of_the_only_order_leaves_the_task_unconverted(member_a, call):
    task = call(CallbackTaskFactory(member=member_a), at(day(1)))
    _pos_order(member_a, "R-1", at(day(2)), "300.00")

    pos_order_refund(
        store=member_a.home_store,
        order_no="R-1",
        refund_no="T-1",
        amount=Decimal("300.00"),
        refunded_at=at(day(3)),
    )

    task.refresh_from_db()
    assert (task.converted_order_id, task.converted_amount, task.converted_at) == (None,) * 3


def test_a_partial_refund_keeps_the_conversion_at_the_net_amount(member_a, call):
    task = call(CallbackTaskFactory(member=member_a), at(day(1)))
    placed = _pos_order(member_a, "R-1", at(day(2)), "300.00")

    pos_order_refund(
        store=member_a.home_store,
        order_no="R-1",
        refund_no="T-1",
        amount=Decimal("100.00"),
        refunded_at=at(day(3)),
    )

    task.refresh_from_db()
    assert (task.converted_order_id, task.converted_amount) == (placed.pk, Decimal("200.00"))


# --- The POS path and the nightly check ---------------------------------------------------------


def _snapshot():
    return sorted(
        CallbackTask.objects.values_list(
            "pk", "converted_order_id", "converted_amount", "converted_at"
        )
    )


@pytest.fixture
def scenario(store_a, guide_a, call):
    """Several members: converted, between two calls, refunded in full, outside the window."""
    members = [MemberFactory(home_store=store_a, guide=guide_a) for _ in range(5)]
    call(CallbackTaskFactory(member=members[0]), at(day(1)))
    _pos_order(members[0], "S-0", at(day(3)), "120.00")
    call(CallbackTaskFactory(member=members[1]), at(day(1)))
    _pos_order(members[1], "S-1", at(day(5)), "220.00")
    call(CallbackTaskFactory(member=members[1]), at(day(9)), TaskStatus.SUCCESSFUL)
    _pos_order(members[1], "S-1b", at(day(12)), "60.00")
    call(CallbackTaskFactory(member=members[2]), at(day(2)))
    _pos_order(members[2], "S-2", at(day(4)), "500.00")
    pos_order_refund(
        store=store_a,
        order_no="S-2",
        refund_no="T",
        amount=Decimal("500.00"),
        refunded_at=at(day(5)),
    )
    call(CallbackTaskFactory(member=members[3]), at(day(1)))
    _pos_order(members[3], "S-3", at(day(70)), "90.00")
    CallbackTaskFactory(member=members[4])  # never called
    return members


def test_the_nightly_check_agrees_with_the_pos_path(scenario):
    by_pos = _snapshot()
    assert sum(1 for row in by_pos if row[1] is not None) == 3
    CallbackTask.objects.update(converted_order=None, converted_amount=None, converted_at=None)

    run = conversions_check(business_date=day(12), chunk_size=2)

    assert run.status == JobStatus.FINISHED
    assert _snapshot() == by_pos


def test_the_nightly_check_catches_orders_imported_without_the_pos(member_a, call):
    task = call(CallbackTaskFactory(member=member_a), at(day(1)))
    imported = order(member_a, at(day(2)))  # a bulk import settles nothing by itself
    assert CallbackTask.objects.get(pk=task.pk).converted_order_id is None

    conversions_check(business_date=day(2))

    task.refresh_from_db()
    assert task.converted_order_id == imported.pk


def test_a_re_run_of_the_nightly_check_writes_nothing(scenario):
    first = conversions_check(business_date=day(12), chunk_size=2)
    before = list(CallbackTask.objects.order_by("pk").values_list("pk", "updated_at"))
    snapshot = _snapshot()

    again = conversions_check(business_date=day(12), chunk_size=2)
    next_night = conversions_check(business_date=day(13), chunk_size=2)

    assert again.pk == first.pk and again.status == JobStatus.FINISHED
    assert next_night.detail == {"rows": 0}
    assert _snapshot() == snapshot
    assert list(CallbackTask.objects.order_by("pk").values_list("pk", "updated_at")) == before


def test_the_nightly_check_skips_windows_closed_long_ago(member_a, call):
    task = call(CallbackTaskFactory(member=member_a), at(day(1)))
    order(member_a, at(day(2)))

    run = conversions_check(business_date=day(200))

    assert run.chunk_total == 0
    assert CallbackTask.objects.get(pk=task.pk).converted_order_id is None
