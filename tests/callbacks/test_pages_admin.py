"""HQ's callback admin: HQ plans made and edited (draft only) through the plan services, with the
same checks as the portal; started and closed by actions through the services; the preview and
the progress on the plan's page; tasks and calls read-only; the funnel page over every store."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from callbacks.models import CallbackPlan, CallbackTask, PlanStatus, TaskStatus
from tests.callbacks.factories import CallbackAttemptFactory, CallbackPlanFactory, SegmentFactory
from tests.members.factories import MemberFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


def _form(**overrides):
    today = timezone.localdate()
    data = {
        "name": "总部会员日回访",
        "purpose": "邀请到店",
        "script": "您好……",
        "channel": "phone",
        "target_kind": "segment",
        "starts_on": today.isoformat(),
        "due_on": (today + timedelta(days=7)).isoformat(),
        "priority_order": "easy_first",
        "cooldown_days": "14",
        "respect_care_window": "on",
    }
    data.update(overrides)
    return data


def test_hq_makes_a_plan_for_chosen_stores_through_the_service(hq_client, hq_admin, store_a):
    segment = SegmentFactory()
    product = ProductFactory()

    response = hq_client.post(
        "/admin/callbacks/callbackplan/add/",
        _form(segment=segment.pk, stores=[store_a.pk], promoted_products=[product.pk]),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    plan = CallbackPlan.objects.get()
    assert plan.store is None and plan.created_by == hq_admin
    assert list(plan.stores.all()) == [store_a] and list(plan.promoted_products.all()) == [product]
    assert LogEntry.objects.filter(
        object_pk=str(plan.pk), additional_data__event="callback_plan_created"
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "请选择要回访的分组。"),
        ({"target_kind": "phones", "phones": "12345"}, "手机号名单有误"),
        ({"target_kind": "phones", "phones": "13999999999"}, "该手机号不是会员。"),
    ],
)
def test_the_admin_form_refuses_with_the_services_check(hq_client, overrides, message):
    response = hq_client.post("/admin/callbacks/callbackplan/add/", _form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CallbackPlan.objects.exists()


def test_the_draft_page_shows_the_preview_and_the_action_starts_it(
    hq_client, member_a, django_capture_on_commit_callbacks
):
    MemberFactory(home_store=member_a.home_store, guide=member_a.guide, marketing_opt_out=True)
    plan = CallbackPlanFactory(name="总部计划")

    page = hq_client.get(f"/admin/callbacks/callbackplan/{plan.pk}/change/")
    with django_capture_on_commit_callbacks(execute=True):
        hq_client.post(
            "/admin/callbacks/callbackplan/",
            {"action": "activate", "_selected_action": [plan.pk]},
        )

    body = page.content.decode()
    assert 'id="plan-preview"' in body and "将生成 1 条任务" in body
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert CallbackTask.objects.filter(plan=plan, member=member_a).exists()
    started = hq_client.get(f"/admin/callbacks/callbackplan/{plan.pk}/change/").content.decode()
    assert 'id="plan-funnel"' in started and 'name="_save"' not in started


def test_a_started_plan_is_not_edited_and_close_ends_it(hq_client):
    plan = CallbackPlanFactory(status=PlanStatus.ACTIVE, activated_at=timezone.now())

    edit = hq_client.post(f"/admin/callbacks/callbackplan/{plan.pk}/change/", _form(name="改名"))
    hq_client.post(
        "/admin/callbacks/callbackplan/", {"action": "close", "_selected_action": [plan.pk]}
    )

    plan.refresh_from_db()
    assert edit.status_code == 403 and plan.name != "改名"
    assert plan.status == PlanStatus.CLOSED


def test_tasks_and_calls_are_listed_read_only_with_masked_phones(hq_client, tasks_a):
    task = tasks_a[0][0]
    CallbackAttemptFactory(task=task, outcome=TaskStatus.REACHED)

    tasks = hq_client.get("/admin/callbacks/callbacktask/").content.decode()
    calls = hq_client.get("/admin/callbacks/callbackattempt/")

    assert task.member.name in tasks and task.member.phone not in tasks
    assert calls.status_code == 200
    assert hq_client.get("/admin/callbacks/callbacktask/add/").status_code == 403


def test_the_admin_funnel_covers_every_store(hq_client, tasks_a, task_b):
    response = hq_client.get("/admin/callbacks/callbackplan/funnel/")
    assert response.status_code == 200
    labels = {row.label for row in response.context["funnel"].rows}
    assert labels == {"甲店", "乙店"}
    bad = hq_client.get("/admin/callbacks/callbackplan/funnel/", {"by": "nope"})
    assert bad.status_code == 400


def test_list_pages_query_counts(hq_client, tasks_a, django_assert_max_num_queries):
    for path in ("callbackplan", "callbacktask", "callbackattempt"):
        with django_assert_max_num_queries(12):
            assert hq_client.get(f"/admin/callbacks/{path}/").status_code == 200
