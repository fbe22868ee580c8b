"""The worklist (callbacks/): today's due tasks in calling order, a guide their own, a store
manager the store's (by guide); overdue marked; another store's tasks never listed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from callbacks.models import PlanStatus, TaskStatus
from members.phones import mask_phone
from tests.callbacks.conftest import yesterday
from tests.callbacks.factories import CallbackTaskFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [task.member.name for task in response.context["page"].object_list]


def test_a_guide_sees_their_due_tasks_in_priority_order(client, guide_a, tasks_a, task_b):
    client.force_login(guide_a)

    response = client.get("/callbacks/")

    assert response.status_code == 200
    assert _names(response) == ["会员1", "会员2", "会员0"]
    body = response.content.decode()
    member = tasks_a[0][0].member
    assert mask_phone(member.phone) in body and member.phone not in body
    assert "春季新品回访" in body and "周的会员" not in body and "乙店会员" not in body


def test_tasks_not_due_today_closed_or_of_a_closed_plan_are_not_listed(
    client, guide_a, plan_a, tasks_a
):
    tomorrow = timezone.localdate() + timedelta(days=1)
    (later, done, _), _theirs = tasks_a
    later.next_call_on = tomorrow
    later.save()
    done.status = TaskStatus.SUCCESSFUL
    done.save()
    client.force_login(guide_a)

    assert _names(client.get("/callbacks/")) == ["会员2"]

    plan_a.status = PlanStatus.CLOSED
    plan_a.save()
    assert _names(client.get("/callbacks/")) == []


def test_an_overdue_task_is_marked(client, guide_a, tasks_a):
    task = tasks_a[0][1]
    task.due_on = yesterday()
    task.next_call_on = yesterday()
    task.save()
    client.force_login(guide_a)

    body = client.get("/callbacks/").content.decode()

    assert f'class="cb-row is-overdue" data-task="{task.pk}"' in body
    assert "已逾期" in body


def test_a_store_manager_sees_the_store_and_filters_by_guide(
    client, manager_a, other_guide_a, tasks_a, task_b
):
    client.force_login(manager_a)

    everyone = client.get("/callbacks/")
    one_guide = client.get("/callbacks/", {"guide": other_guide_a.pk})

    assert sorted(_names(everyone)) == ["会员0", "会员1", "会员2", "周的会员"]
    assert _names(one_guide) == ["周的会员"]


def test_filtering_by_another_stores_guide_is_a_400_with_nothing_listed(
    client, manager_a, guide_b, tasks_a, task_b
):
    client.force_login(manager_a)

    response = client.get("/callbacks/", {"guide": guide_b.pk})

    assert response.status_code == 400
    assert "所选导购不是本店员工。" in response.content.decode()
    assert _names(response) == []


@pytest.mark.parametrize("page", ["0", "x", "99", "-1", "1" * 30])
def test_a_bad_page_is_a_404(client, guide_a, tasks_a, page):
    client.force_login(guide_a)
    assert client.get("/callbacks/", {"page": page}).status_code == 404


def test_the_worklist_pages_by_twenty(client, guide_a, plan_a):
    for n in range(25):
        member = MemberFactory(home_store=plan_a.store, guide=guide_a)
        CallbackTaskFactory(plan=plan_a, member=member, priority=n)
    client.force_login(guide_a)

    first = client.get("/callbacks/")
    second = client.get("/callbacks/", {"page": 2})

    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("count", [3, 20])
def test_the_worklist_query_count_does_not_grow_with_its_rows(
    client, manager_a, plan_a, guide_a, count, django_assert_max_num_queries
):
    for _ in range(count):
        CallbackTaskFactory(
            plan=plan_a, member=MemberFactory(home_store=plan_a.store, guide=guide_a)
        )
    client.force_login(manager_a)
    # 7 for the list itself, 1 for the overdue reminder, 3 for the bulk re-assign form (whom
    # to, whose tasks): all fixed, none per row
    with django_assert_max_num_queries(11):
        assert client.get("/callbacks/").status_code == 200


def test_hq_goes_to_the_admin_and_a_region_manager_to_the_funnel(client, hq_admin, region_manager):
    client.force_login(hq_admin)
    assert client.get("/callbacks/")["Location"] == "/admin/callbacks/callbacktask/"
    client.force_login(region_manager)
    assert client.get("/callbacks/")["Location"] == "/callbacks/funnel/"


def test_the_portal_tab_leads_to_the_worklist(client, guide_a):
    client.force_login(guide_a)
    body = client.get("/members/").content.decode()
    assert 'href="/callbacks/"' in body and "回访" in body


def test_the_guide_filter_answers_htmx_with_the_list_alone(
    client, manager_a, other_guide_a, tasks_a
):
    client.force_login(manager_a)

    response = client.get("/callbacks/", {"guide": other_guide_a.pk}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "周的会员" in body and "会员0" not in body
    assert "HX-Request" in response["Vary"]
