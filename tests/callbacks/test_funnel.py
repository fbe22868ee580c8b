"""The funnel (回访漏斗): store A from DOMAIN.md reproduced (4,362 to call, 1,894 called, 1,706
successful, 645 converted, about 330,000 yuan), per store, guide, store group and region, and
scoped like everything else (INV-STORE-ISOLATION): a store sees its own guides, a guide their own
row, HQ all."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from callbacks.models import CallbackPlan, CallbackTask, PlanStatus, TaskStatus
from callbacks.selectors import FunnelBy, callback_funnel, nudge_list
from members.models import Member, Order
from tests.callbacks.factories import CallbackPlanFactory
from tests.members.factories import GuideFactory, HqAdminFactory, RegionManagerFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Store A's called tasks by outcome: 1,894 called, of which 1,706 successful.
CALLED = {
    TaskStatus.SUCCESSFUL: 1706,
    TaskStatus.DECLINED: 60,
    TaskStatus.REACHED: 40,  # no follow-up date: nothing more to do, not overdue
    TaskStatus.NOT_REACHED: 70,  # to be tried again, past the due date: overdue
    TaskStatus.WRONG_NUMBER: 18,
}
TO_CALL, CONVERTED, CONVERTED_AMOUNT = 4362, 645, Decimal("330000.00")


def _members(store, guides, count, prefix):
    members = Member.objects.bulk_create(
        Member(
            phone=f"{prefix}{n:08d}",
            name=f"会员{prefix}{n}",
            joined_at=date(2020, 1, 1),
            home_store=store,
            guide=guides[n % len(guides)],
        )
        for n in range(count)
    )
    return members


def _statuses(count):
    statuses = [status for status, n in CALLED.items() for _ in range(n)]
    return statuses + [TaskStatus.PENDING] * (count - len(statuses))


def _amounts(count, total):
    each = (total / count).quantize(Decimal("0.01"))
    return [each] * (count - 1) + [total - each * (count - 1)]


def _orders(members, amounts, store):
    paid = datetime.combine(TODAY - timedelta(days=3), time(15), tzinfo=SHANGHAI)
    return Order.objects.bulk_create(
        Order(
            store=store,
            order_no=f"{store.code}-{n}",
            member=member,
            paid_at=paid,
            amount=amount,
            credited_store=store,
        )
        for n, (member, amount) in enumerate(zip(members, amounts, strict=True))
    )


def build_store(store, guides, plan, *, to_call, converted, amount, prefix):
    """`to_call` tasks of `plan` in `store`, called as CALLED says; `converted` of the
    successful ones converted for `amount` in all. Written with bulk_create."""
    members = _members(store, guides, to_call, prefix)
    statuses = _statuses(to_call)
    successful = [m for m, s in zip(members, statuses, strict=True) if s == TaskStatus.SUCCESSFUL]
    orders = iter(_orders(successful[:converted], _amounts(converted, amount), store))
    called_at = datetime.combine(TODAY - timedelta(days=10), time(10), tzinfo=SHANGHAI)
    tasks = []
    for n, (member, status) in enumerate(zip(members, statuses, strict=True)):
        order = next(orders, None) if status == TaskStatus.SUCCESSFUL else None
        retry = status == TaskStatus.NOT_REACHED
        tasks.append(
            CallbackTask(
                plan=plan,
                member=member,
                store=store,
                assignee=member.guide,
                priority=n,
                status=status,
                next_call_on=TODAY if status == TaskStatus.PENDING or retry else None,
                due_on=TODAY - timedelta(days=1) if retry else TODAY + timedelta(days=7),
                attempts=0 if status == TaskStatus.PENDING else 1,
                last_called_at=None if status == TaskStatus.PENDING else called_at,
                converted_order=order,
                converted_amount=order.amount if order else None,
                converted_at=order.paid_at if order else None,
            )
        )
    CallbackTask.objects.bulk_create(tasks, batch_size=2000)


@pytest.fixture
def plan():
    return CallbackPlanFactory(
        status=PlanStatus.ACTIVE, starts_on=TODAY - timedelta(days=20), due_on=TODAY
    )


@pytest.fixture
def guides_a(store_a):
    return [GuideFactory(store=store_a, first_name="甲导购一"), GuideFactory(store=store_a)]


@pytest.fixture
def store_a_built(store_a, guides_a, plan):
    build_store(
        store_a,
        guides_a,
        plan,
        to_call=TO_CALL,
        converted=CONVERTED,
        amount=CONVERTED_AMOUNT,
        prefix="138",
    )
    return store_a


@pytest.fixture
def store_b_built(store_b, guide_b, plan):
    build_store(
        store_b, [guide_b], plan, to_call=2000, converted=100, amount=Decimal("9999"), prefix="137"
    )
    return store_b


def test_store_a_from_the_domain_brief(store_a_built, manager_a, django_assert_num_queries):
    with django_assert_num_queries(2):
        funnel = callback_funnel(user=manager_a, by=FunnelBy.STORE, today=TODAY)

    (row,) = funnel.rows
    assert (row.key, row.label) == (store_a_built.pk, store_a_built.name)
    assert (row.to_call, row.called, row.successful, row.converted) == (4362, 1894, 1706, 645)
    assert row.reached == 1706 + 60 + 40
    assert row.converted_amount == Decimal("330000.00")
    assert row.overdue == 70
    assert row.call_rate == Decimal("0.4342")  # 1,894 / 4,362
    assert row.success_rate == Decimal("0.9007")  # 1,706 / 1,894
    assert row.conversion_rate == Decimal("0.3405")  # 645 / 1,894
    assert funnel.total == row.__class__(**{**row.__dict__, "key": None, "label": "合计"})


def test_per_guide_rows_add_up_to_the_store(store_a_built, guides_a, manager_a):
    funnel = callback_funnel(user=manager_a, by=FunnelBy.GUIDE, today=TODAY)

    assert {row.key for row in funnel.rows} == {guide.pk for guide in guides_a}
    assert sum(row.to_call for row in funnel.rows) == TO_CALL
    assert sum(row.called for row in funnel.rows) == 1894
    assert sum(row.converted for row in funnel.rows) == CONVERTED
    assert sum(row.converted_amount for row in funnel.rows) == CONVERTED_AMOUNT
    assert "甲导购一" in {row.label for row in funnel.rows}
    assert [row.key for row in nudge_list(funnel)] == [
        row.key for row in sorted(funnel.rows, key=lambda r: -r.overdue) if row.overdue
    ]


def test_a_store_sees_its_own_figures_only(store_a_built, store_b_built, manager_a, manager_b):
    a = callback_funnel(user=manager_a, by=FunnelBy.STORE, today=TODAY)
    b = callback_funnel(user=manager_b, by=FunnelBy.GUIDE, today=TODAY)

    assert [row.key for row in a.rows] == [store_a_built.pk] and a.total.to_call == TO_CALL
    assert b.total.to_call == 2000 and b.total.converted == 100
    assert b.total.converted_amount == Decimal("9999.00")


def test_a_guide_sees_their_own_row_only(store_a_built, store_b_built, guides_a):
    guide = guides_a[0]

    funnel = callback_funnel(user=guide, by=FunnelBy.GUIDE, today=TODAY)

    (row,) = funnel.rows
    assert row.key == guide.pk
    assert row.to_call == CallbackTask.objects.filter(assignee=guide).count() == 2181
    assert funnel.total.to_call == row.to_call


def test_hq_sees_every_store_and_groups_by_region_and_store_group(
    store_a_built, store_b_built, plan
):
    hq = HqAdminFactory()

    by_store = callback_funnel(user=hq, by=FunnelBy.STORE, today=TODAY)
    by_region = callback_funnel(user=hq, by=FunnelBy.REGION, today=TODAY)
    by_group = callback_funnel(user=hq, by=FunnelBy.STORE_GROUP, today=TODAY)
    by_plan = callback_funnel(user=hq, by=FunnelBy.PLAN, today=TODAY)

    assert [row.to_call for row in by_store.rows] == [TO_CALL, 2000]
    assert by_store.total.converted == CONVERTED + 100
    assert {row.key for row in by_region.rows} == {
        store_a_built.region_id,
        store_b_built.region_id,
    }
    assert sum(row.converted_amount for row in by_group.rows) == CONVERTED_AMOUNT + 9999
    assert [(row.key, row.to_call) for row in by_plan.rows] == [(plan.pk, TO_CALL + 2000)]


def test_a_region_manager_sees_their_regions_stores(store_a_built, store_b_built):
    manager = RegionManagerFactory(region=store_a_built.region)

    funnel = callback_funnel(user=manager, by=FunnelBy.STORE, today=TODAY)

    assert [row.key for row in funnel.rows] == [store_a_built.pk]


def test_a_plan_or_a_period_selects_the_tasks_counted(store_a_built, manager_a, plan):
    later = CallbackPlanFactory(status=PlanStatus.ACTIVE, starts_on=TODAY, due_on=TODAY)
    guide = GuideFactory(store=store_a_built)
    member = Member.objects.create(
        phone="13600000001", name="新", joined_at=TODAY, home_store=store_a_built, guide=guide
    )
    CallbackTask.objects.create(
        plan=later, member=member, store=store_a_built, assignee=guide, due_on=TODAY
    )

    only_plan = callback_funnel(user=manager_a, plan=plan, today=TODAY)
    period = callback_funnel(user=manager_a, start=TODAY, end=TODAY + timedelta(days=1))
    everything = callback_funnel(user=manager_a, today=TODAY)

    assert only_plan.total.to_call == TO_CALL
    assert period.total.to_call == 1
    assert everything.total.to_call == TO_CALL + 1


def test_a_closed_plans_open_tasks_are_not_overdue(store_a_built, manager_a, plan):
    CallbackPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.CLOSED)

    funnel = callback_funnel(user=manager_a, today=TODAY)

    assert funnel.total.overdue == 0 and funnel.total.to_call == TO_CALL
