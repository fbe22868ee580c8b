"""Bulk re-assignment: a store manager hands the ticked tasks, or all of one guide's open tasks,
to another member of staff of the store in one action, through the one re-assign rule
(callbacks.services.reassign). Another store's task ids move nothing and tell nothing."""

import pytest
from django.contrib.messages import get_messages

from callbacks.models import CallbackTask, PlanStatus, TaskStatus
from callbacks.services.reassign import callback_tasks_reassign, callback_tasks_reassign_all
from members.errors import RuleViolation
from members.models import OwnershipChange
from tests.callbacks.conftest import active_plan
from tests.callbacks.factories import CallbackTaskFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _assignees(tasks) -> list:
    return [CallbackTask.objects.get(pk=task.pk).assignee for task in tasks]


def test_a_manager_moves_the_ticked_tasks_and_sees_the_count(
    client, manager_a, guide_a, other_guide_a, tasks_a
):
    mine, _theirs = tasks_a
    client.force_login(manager_a)

    response = client.post(
        "/callbacks/tasks/reassign/",
        {"tasks": [mine[0].pk, mine[1].pk], "to_user": other_guide_a.pk},
    )

    assert response.status_code == 302 and response["Location"] == "/callbacks/"
    assert _assignees(mine) == [other_guide_a, other_guide_a, guide_a]
    assert OwnershipChange.objects.filter(to_guide=other_guide_a).count() == 2
    assert _messages(response) == ["已把 2 条任务改派给 小周。"]


def test_all_of_one_guides_open_tasks_move_but_not_closed_ones_or_closed_plans(
    client, manager_a, store_a, guide_a, other_guide_a, tasks_a
):
    mine, theirs = tasks_a
    done = mine[2]
    done.status = TaskStatus.SUCCESSFUL
    done.save()
    closed_plan = active_plan(store_a)
    closed_plan.status = PlanStatus.CLOSED
    closed_plan.save()
    of_closed_plan = CallbackTaskFactory(
        plan=closed_plan, member=MemberFactory(home_store=store_a, guide=guide_a)
    )
    client.force_login(manager_a)

    response = client.post(
        "/callbacks/tasks/reassign/", {"from_user": guide_a.pk, "to_user": other_guide_a.pk}
    )

    assert response.status_code == 302
    assert _assignees(mine) == [other_guide_a, other_guide_a, guide_a]
    assert _assignees([of_closed_plan, theirs]) == [guide_a, other_guide_a]
    assert _messages(response) == ["已把 2 条任务改派给 小周。"]


def test_handing_tasks_to_the_manager_keeps_the_members_guide(client, manager_a, guide_a, tasks_a):
    mine, _theirs = tasks_a
    client.force_login(manager_a)

    client.post("/callbacks/tasks/reassign/", {"tasks": [mine[0].pk], "to_user": manager_a.pk})

    mine[0].refresh_from_db()
    mine[0].member.refresh_from_db()
    assert mine[0].assignee == manager_a and mine[0].member.guide == guide_a


def test_another_stores_task_ids_move_nothing_and_read_like_unknown_ids(
    client, manager_a, other_guide_a, tasks_a, task_b
):
    client.force_login(manager_a)

    other_store = client.post(
        "/callbacks/tasks/reassign/", {"tasks": [task_b.pk], "to_user": other_guide_a.pk}
    )
    unknown = client.post(
        "/callbacks/tasks/reassign/", {"tasks": [987654321], "to_user": other_guide_a.pk}
    )

    assert other_store.status_code == unknown.status_code == 302
    told = _messages(other_store)
    assert told == _messages(unknown)[-1:] and "没有任务被改派" in told[0]
    task_b.refresh_from_db()
    assert task_b.assignee != other_guide_a and task_b.member.guide_id != other_guide_a.pk


def test_a_mix_of_own_and_other_stores_ids_moves_only_the_own(
    client, manager_a, other_guide_a, tasks_a, task_b
):
    mine, _theirs = tasks_a
    client.force_login(manager_a)

    response = client.post(
        "/callbacks/tasks/reassign/",
        {"tasks": [mine[0].pk, task_b.pk], "to_user": other_guide_a.pk},
    )

    assert _messages(response) == ["已把 1 条任务改派给 小周。"]
    assert CallbackTask.objects.get(pk=task_b.pk).assignee_id != other_guide_a.pk


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tasks": ["x"]}, "所选任务无效"),
        ({"tasks": ["99999999999999999999"]}, "所选任务无效"),
        ({"tasks": [str(n) for n in range(1, 502)]}, "一次最多改派 500 条任务。"),
        ({}, "请勾选要改派的任务，或选择一位导购的全部任务。"),
        ({"from_user": "99999999999999999999"}, "所选导购不是本店员工。"),
        ({"to_user": "x", "tasks": ["1"]}, "只能改派给本店在职的导购或店长。"),
    ],
)
def test_bad_bulk_input_is_a_400_in_chinese(client, manager_a, other_guide_a, data, message):
    client.force_login(manager_a)
    data = {"to_user": other_guide_a.pk} | data

    response = client.post("/callbacks/tasks/reassign/", data)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_other_stores_staff_as_giver_or_taker_is_a_400(
    client, manager_a, guide_a, guide_b, task_b, tasks_a
):
    client.force_login(manager_a)

    to_other = client.post(
        "/callbacks/tasks/reassign/", {"from_user": guide_a.pk, "to_user": guide_b.pk}
    )
    from_other = client.post(
        "/callbacks/tasks/reassign/", {"from_user": guide_b.pk, "to_user": guide_a.pk}
    )

    assert to_other.status_code == from_other.status_code == 400
    assert "只能改派给本店在职的导购或店长。" in to_other.content.decode()
    assert "所选导购不是本店员工。" in from_other.content.decode()
    task_b.refresh_from_db()
    assert task_b.assignee == guide_b


def test_both_ways_at_once_or_to_the_same_guide_is_a_400(client, manager_a, guide_a, tasks_a):
    mine, _theirs = tasks_a
    client.force_login(manager_a)

    both = client.post(
        "/callbacks/tasks/reassign/",
        {"tasks": [mine[0].pk], "from_user": guide_a.pk, "to_user": manager_a.pk},
    )
    same = client.post(
        "/callbacks/tasks/reassign/", {"from_user": guide_a.pk, "to_user": guide_a.pk}
    )

    assert both.status_code == same.status_code == 400
    assert "请只选一种方式" in both.content.decode()
    assert "改派给的人和原负责人相同。" in same.content.decode()


def test_guides_may_not_bulk_reassign(client, guide_a, other_guide_a, tasks_a):
    mine, _theirs = tasks_a
    client.force_login(guide_a)

    response = client.post(
        "/callbacks/tasks/reassign/", {"tasks": [mine[0].pk], "to_user": other_guide_a.pk}
    )

    assert response.status_code == 403
    assert CallbackTask.objects.get(pk=mine[0].pk).assignee == guide_a


def test_the_worklist_offers_the_manager_ticks_and_the_guide_none(
    client, manager_a, guide_a, tasks_a
):
    mine, _theirs = tasks_a
    client.force_login(manager_a)
    page = client.get("/callbacks/").content.decode()
    client.force_login(guide_a)
    guide_page = client.get("/callbacks/").content.decode()

    assert f'name="tasks" value="{mine[0].pk}" form="bulk-reassign"' in page
    assert 'id="bulk-reassign"' in page
    assert 'name="tasks"' not in guide_page and "bulk-reassign" not in guide_page


def test_the_service_counts_only_what_moved_and_refuses_guides(
    manager_a, guide_a, other_guide_a, tasks_a
):
    mine, theirs = tasks_a
    ids = [task.pk for task in mine]

    assert (
        callback_tasks_reassign(task_ids=[theirs.pk], to_user=other_guide_a, actor=manager_a) == 0
    )
    assert (
        callback_tasks_reassign_all(from_user=guide_a, to_user=other_guide_a, actor=manager_a) == 3
    )
    assert callback_tasks_reassign(task_ids=ids, to_user=other_guide_a, actor=manager_a) == 0
    with pytest.raises(RuleViolation) as refused:
        callback_tasks_reassign_all(from_user=other_guide_a, to_user=guide_a, actor=guide_a)
    assert refused.value.status_code == 403
