"""On the worklist: the user's own latest overdue reminder (outbox kind callback_overdue) as a
banner, and, on the list and the task page, members who bought within the care window (read from
the orders, so a purchase made after the nightly regroup counts) flagged 购后关怀期."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from callbacks.services.reminders import overdue_reminders_enqueue
from jobs.dates import local_day_start
from messaging.models import Channel, MessageKind, OutboxMessage
from tests.callbacks.conftest import yesterday
from tests.callbacks.factories import CallbackTaskFactory
from tests.members.factories import MemberFactory, OrderFactory

pytestmark = pytest.mark.django_db

CARE = "购后关怀期：只关怀，不推销"


def _reminder(staff, *, count, days_ago=0):
    return OutboxMessage.objects.create(
        staff=staff,
        kind=MessageKind.CALLBACK_OVERDUE,
        due_date=timezone.localdate() - timedelta(days=days_ago),
        channel=Channel.INTERNAL,
        marketing=False,
        body="……",
        payload={"overdue": count},
    )


def _banner(response) -> str:
    body = response.content.decode()
    start = body.find('id="overdue-reminder"')
    return "" if start < 0 else body[start : body.index("</p>", start)]


def test_a_guide_sees_the_nightly_jobs_reminder_as_a_banner(client, guide_a, tasks_a):
    # given two of the guide's tasks are overdue and the morning job has run
    for task in tasks_a[0][:2]:
        task.due_on = task.next_call_on = yesterday()
        task.save()
    overdue_reminders_enqueue(on=timezone.localdate())
    client.force_login(guide_a)

    # when the guide opens the worklist
    response = client.get("/callbacks/")

    # then the banner says how many
    assert "你有 2 个逾期回访任务" in _banner(response)


def test_the_banner_shows_only_the_users_own_latest_recent_reminder(
    client, guide_a, other_guide_a, manager_a, guide_b, tasks_a
):
    _reminder(guide_a, count=5, days_ago=2)
    _reminder(guide_a, count=3, days_ago=1)
    _reminder(other_guide_a, count=9)
    _reminder(guide_b, count=7)
    client.force_login(guide_a)

    assert "你有 3 个逾期回访任务" in _banner(client.get("/callbacks/"))

    client.force_login(manager_a)
    assert _banner(client.get("/callbacks/")) == ""


def test_a_reminder_older_than_a_week_is_not_shown(client, guide_a, tasks_a):
    _reminder(guide_a, count=4, days_ago=8)
    client.force_login(guide_a)

    assert _banner(client.get("/callbacks/")) == ""
    # while one from within the week is (the banner is there to be missed)
    _reminder(guide_a, count=2, days_ago=6)
    assert "你有 2 个逾期回访任务" in _banner(client.get("/callbacks/"))


def _bought(member, *, days_ago, refunded=False):
    paid_at = local_day_start(timezone.localdate() - timedelta(days=days_ago)) + timedelta(hours=10)
    amount = Decimal("302.00")
    return OrderFactory(
        member=member,
        store=member.home_store,
        paid_at=paid_at,
        amount=amount,
        refunded_amount=amount if refunded else Decimal("0"),
    )


def _flagged(response) -> set[str]:
    return {
        task.member.name for task in response.context["page"].object_list if task.in_care_window
    }


def test_members_who_bought_within_the_care_window_are_flagged_on_the_worklist(
    client, guide_a, tasks_a
):
    # given today, 15 days ago (in), 16 days ago (out) and a purchase refunded in full
    today, day_15, day_16 = tasks_a[0]
    _bought(today.member, days_ago=0)
    _bought(day_15.member, days_ago=15)
    _bought(day_16.member, days_ago=16)
    _bought(day_16.member, days_ago=1, refunded=True)
    client.force_login(guide_a)

    # when the guide opens the worklist
    response = client.get("/callbacks/")

    # then only the members inside the window carry the flag
    assert _flagged(response) == {today.member.name, day_15.member.name}
    assert response.content.decode().count(CARE) == 2


def test_the_task_page_flags_a_purchase_made_today(client, guide_a, tasks_a):
    task, other, _ = tasks_a[0]
    _bought(task.member, days_ago=0)
    client.force_login(guide_a)

    flagged = client.get(f"/callbacks/tasks/{task.pk}/").content.decode()
    plain = client.get(f"/callbacks/tasks/{other.pk}/").content.decode()

    assert CARE in flagged and 'id="care-window"' in flagged
    assert CARE not in plain


@pytest.mark.parametrize("count", [3, 20])
def test_the_flag_costs_no_query_per_row(
    client, guide_a, plan_a, count, django_assert_max_num_queries
):
    for _ in range(count):
        member = MemberFactory(home_store=plan_a.store, guide=guide_a)
        CallbackTaskFactory(plan=plan_a, member=member)
        _bought(member, days_ago=1)
    client.force_login(guide_a)

    with django_assert_max_num_queries(8):
        response = client.get("/callbacks/")

    assert len(_flagged(response)) == min(count, 20)
