"""The task page (callbacks/tasks/<pk>/): the five looks, the plan's script and coupon, the
member's coupons and last calls; recording an outcome through HTTP (audited, then the next task);
bad input a Chinese 4xx; another store's task a 404; a manager re-assigns within the store."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from callbacks.models import CallbackAttempt, PlanStatus, TaskStatus
from members.models import OwnershipChange
from members.phones import mask_phone
from tests.callbacks.factories import CallbackAttemptFactory
from tests.coupons.factories import CouponFactory, CouponTemplateFactory
from tests.members.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(tasks_a):
    """Guide A's first task in calling order (priority 1)."""
    return tasks_a[0][1]


def _record(client, task, **data):
    return client.post(f"/callbacks/tasks/{task.pk}/record/", data)


def test_the_task_page_shows_what_a_guide_needs_before_calling(client, guide_a, task, plan_a):
    member = task.member
    plan_a.coupon_template = CouponTemplateFactory(name="回访专享券")
    plan_a.save()
    order = OrderFactory(store=member.home_store, member=member, guide=guide_a)
    OrderLineFactory(order=order)
    CouponFactory(member=member, code="CBCOUPON0001")
    CallbackAttemptFactory(
        task=task, outcome=TaskStatus.NOT_REACHED, note="上次没接", called_by=guide_a
    )
    client.force_login(guide_a)

    response = client.get(f"/callbacks/tasks/{task.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="five-looks"' in body and "看客单" in body and "看买过" in body
    assert "春季新品到店了" in body and plan_a.purpose in body
    assert "回访专享券" in body
    assert 'data-coupon="CBCOUPON0001"' in body
    assert "上次没接" in body
    assert mask_phone(member.phone) in body and member.phone not in body
    assert 'name="outcome"' in body and 'name="opt_out"' in body


def test_recording_a_successful_call_is_audited_and_moves_to_the_next_task(
    client, guide_a, task, tasks_a
):
    client.force_login(guide_a)

    response = _record(client, task, outcome="successful", note="约了周六到店")

    task.refresh_from_db()
    assert task.status == TaskStatus.SUCCESSFUL and task.note == "约了周六到店"
    attempt = CallbackAttempt.objects.get(task=task)
    assert attempt.called_by == guide_a and attempt.outcome == TaskStatus.SUCCESSFUL
    assert LogEntry.objects.filter(
        object_pk=str(task.pk), additional_data__event="callback_outcome"
    ).exists()
    next_task = tasks_a[0][2]  # priority 2
    assert response.status_code == 302
    assert response["Location"] == f"/callbacks/tasks/{next_task.pk}/"


def test_not_reached_with_a_date_comes_back_that_day_and_the_last_task_returns_to_the_list(
    client, guide_a, plan_a, tasks_a
):
    client.force_login(guide_a)
    in_three_days = timezone.localdate() + timedelta(days=3)
    mine = sorted(tasks_a[0], key=lambda t: t.priority)
    for task in mine[:-1]:
        _record(client, task, outcome="declined")

    response = _record(
        client, mine[-1], outcome="not_reached", follow_up_on=in_three_days.isoformat()
    )

    mine[-1].refresh_from_db()
    assert mine[-1].status == TaskStatus.NOT_REACHED and mine[-1].next_call_on == in_three_days
    assert response["Location"] == "/callbacks/"


def test_the_opt_out_box_records_the_members_opt_out(client, guide_a, task):
    client.force_login(guide_a)

    _record(client, task, outcome="declined", opt_out="on")

    task.member.refresh_from_db()
    assert task.member.marketing_opt_out is True


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "请选择回访结果。"),
        ({"outcome": "pending"}, "请选择回访结果。"),
        ({"outcome": "<script>"}, "请选择回访结果。"),
        ({"outcome": "reached", "follow_up_on": "2026-13-45"}, "请输入正确的日期"),
        ({"outcome": "reached", "follow_up_on": "1.38E+10"}, "请输入正确的日期"),
        ({"outcome": "not_reached", "follow_up_on": "2000-01-01"}, "下次回访日期必须晚于今天。"),
        ({"outcome": "reached", "follow_up_on": "2099-01-01"}, "下次回访日期不能晚于"),
        ({"outcome": "reached", "note": "长" * 1001}, "备注最多 1000 个字。"),
    ],
)
def test_bad_input_is_a_400_in_chinese_and_changes_nothing(client, guide_a, task, data, message):
    client.force_login(guide_a)

    response = _record(client, task, **data)

    assert response.status_code == 400
    assert message in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING and not CallbackAttempt.objects.exists()


def test_an_illegal_move_is_refused_with_both_statuses_named(client, guide_a, task):
    client.force_login(guide_a)
    _record(client, task, outcome="reached")
    response = _record(client, task, outcome="wrong_number")
    assert response.status_code == 400
    assert "回访结果不能从“已接通”改为“号码错误”。" in response.content.decode()


def test_a_task_of_a_closed_plan_takes_no_outcome(client, guide_a, task, plan_a):
    plan_a.status = PlanStatus.CLOSED
    plan_a.save()
    client.force_login(guide_a)

    page = client.get(f"/callbacks/tasks/{task.pk}/").content.decode()
    response = _record(client, task, outcome="successful")

    assert 'name="outcome"' not in page
    assert response.status_code == 400
    assert "回访计划已结束或尚未启动" in response.content.decode()


@pytest.mark.parametrize("suffix", ["", "record/", "reassign/"])
def test_another_stores_task_is_a_404(client, manager_a, guide_a, task_b, suffix):
    for user in (manager_a, guide_a):
        client.force_login(user)
        path = f"/callbacks/tasks/{task_b.pk}/{suffix}"
        response = client.post(path, {"outcome": "successful"}) if suffix else client.get(path)
        assert response.status_code == 404
    task_b.refresh_from_db()
    assert task_b.status == TaskStatus.PENDING


def test_a_guide_cannot_open_another_guides_task(client, guide_a, tasks_a):
    theirs = tasks_a[1]
    client.force_login(guide_a)
    assert client.get(f"/callbacks/tasks/{theirs.pk}/").status_code == 404


def test_a_region_manager_reads_a_task_but_may_not_record(client, region_manager, task):
    client.force_login(region_manager)
    assert client.get(f"/callbacks/tasks/{task.pk}/").status_code == 200
    response = _record(client, task, outcome="successful")
    assert response.status_code == 403
    assert "只有负责的导购或本店店长可以登记回访结果。" in response.content.decode()


def test_a_manager_reassigns_a_task_to_another_guide_who_then_works_it(
    client, manager_a, other_guide_a, task
):
    client.force_login(manager_a)

    response = client.post(f"/callbacks/tasks/{task.pk}/reassign/", {"to_user": other_guide_a.pk})

    assert response.status_code == 302
    task.refresh_from_db()
    task.member.refresh_from_db()
    assert task.assignee == other_guide_a and task.member.guide == other_guide_a
    assert OwnershipChange.objects.filter(member=task.member, to_guide=other_guide_a).exists()
    client.force_login(other_guide_a)
    assert client.get(f"/callbacks/tasks/{task.pk}/").status_code == 200


def test_reassigning_to_another_stores_guide_or_by_a_guide_is_refused(
    client, manager_a, guide_a, guide_b, task
):
    client.force_login(manager_a)
    response = client.post(f"/callbacks/tasks/{task.pk}/reassign/", {"to_user": guide_b.pk})
    assert response.status_code == 400
    assert "只能改派给本店在职的导购或店长。" in response.content.decode()
    client.force_login(guide_a)
    response = client.post(f"/callbacks/tasks/{task.pk}/reassign/", {"to_user": guide_a.pk})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.assignee == guide_a


@pytest.mark.parametrize("to_user", ["99999999999999999999", "x", ""])
def test_reassigning_to_an_odd_id_is_a_400(client, manager_a, task, to_user):
    client.force_login(manager_a)
    response = client.post(f"/callbacks/tasks/{task.pk}/reassign/", {"to_user": to_user})
    assert response.status_code == 400
