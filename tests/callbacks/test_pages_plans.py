"""Plans in the portal: a store manager makes a plan for their own store (a visible segment or a
pasted list of their own members), edits it while draft, sees the preview, starts it (the tasks
are made) and closes it; the validation lives in callbacks.services.plans (audited). Guides get
403, region managers read, another store's plan is a 404, HQ's plans are HQ's to manage."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from callbacks.models import CallbackPlan, CallbackTask, PlanStatus, PlanTarget
from callbacks.services.plans import plan_create
from members.errors import RuleViolation
from members.phones import mask_phone
from tests.callbacks.conftest import active_plan
from tests.callbacks.factories import CallbackPlanFactory, SegmentFactory
from tests.coupons.factories import CouponTemplateFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _form(**overrides):
    today = timezone.localdate()
    data = {
        "name": "会员日回访",
        "purpose": "邀请到店",
        "script": "您好，本周六会员日……",
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


@pytest.fixture
def segment_a(store_a):
    return SegmentFactory(store=store_a, name="甲店二次分组")


def test_a_manager_makes_a_segment_plan_for_their_own_store_audited(
    client, manager_a, segment_a, store_b
):
    client.force_login(manager_a)

    response = client.post("/callbacks/plans/new/", _form(segment=segment_a.pk, store=store_b.pk))

    plan = CallbackPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/callbacks/plans/{plan.pk}/"
    assert plan.store == manager_a.store and plan.status == PlanStatus.DRAFT
    assert plan.segment == segment_a and plan.created_by == manager_a
    assert LogEntry.objects.filter(
        object_pk=str(plan.pk), additional_data__event="callback_plan_created"
    ).exists()


def test_a_phone_list_is_normalised_and_must_hold_only_own_members(
    client, manager_a, store_a, guide_a, member_b
):
    mine = MemberFactory(home_store=store_a, guide=guide_a, phone="13811112222")
    client.force_login(manager_a)

    refused = client.post(
        "/callbacks/plans/new/",
        _form(target_kind="phones", phones=f"+86 138-1111-2222\n{member_b.phone}\nabc"),
    )
    accepted = client.post(
        "/callbacks/plans/new/", _form(target_kind="phones", phones="+86 138-1111-2222")
    )

    body = refused.content.decode()
    assert refused.status_code == 400
    assert "第 2 行" in body and "该手机号不是本店会员。" in body and "第 3 行" in body
    alert = body[body.index('role="alert"') : body.index("</div>", body.index('role="alert"'))]
    assert mask_phone(member_b.phone) in alert and member_b.phone not in alert
    assert accepted.status_code == 302
    assert CallbackPlan.objects.get().phones == mine.phone


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "请选择要回访的分组。"),
        ({"segment": "{segment_b}"}, "所选分组不存在或您无权使用。"),
        ({"target_kind": "phones", "phones": ""}, "请粘贴手机号名单"),
        ({"segment": "{segment_a}", "due_on": "2000-01-01"}, "截止日期不能早于开始日期。"),
        ({"segment": "{segment_a}", "starts_on": "x"}, "请输入正确的日期"),
        ({"segment": "{segment_a}", "cooldown_days": "-1"}, "冷却天数须是 0 到 365 之间的整数。"),
        ({"segment": "{segment_a}", "cooldown_days": "999"}, "冷却天数须是 0 到 365 之间的整数。"),
        ({"segment": "{segment_a}", "target_kind": "all"}, "选择一个有效的选项"),
        (
            {"segment": "{segment_a}", "coupon_template": "{template_b}"},
            "所选优惠券模板不存在或未启用。",
        ),
        ({"segment": "{segment_a}", "name": ""}, "请填写计划名称。"),
    ],
)
def test_bad_plan_input_is_a_400_in_chinese(
    client, manager_a, segment_a, store_b, overrides, message
):
    from coupons.models import UsableIn

    template_b = CouponTemplateFactory(usable_in=UsableIn.STORES)
    template_b.stores.add(store_b)
    ids = {
        "segment_a": segment_a.pk,
        "segment_b": SegmentFactory(store=store_b).pk,
        "template_b": template_b.pk,
    }
    data = _form(**{k: str(v).format(**ids) for k, v in overrides.items()})
    client.force_login(manager_a)

    response = client.post("/callbacks/plans/new/", data)

    assert response.status_code == 400, response.content.decode()[:200]
    assert message in response.content.decode()
    assert not CallbackPlan.objects.exists()


def test_a_draft_is_edited_audited_and_a_started_plan_is_not(client, manager_a, segment_a):
    plan = plan_create(actor=manager_a, fields=_fields(segment_a))
    client.force_login(manager_a)

    response = client.post(
        f"/callbacks/plans/{plan.pk}/edit/", _form(segment=segment_a.pk, name="改过的名字")
    )

    plan.refresh_from_db()
    assert response.status_code == 302 and plan.name == "改过的名字"
    assert LogEntry.objects.filter(
        object_pk=str(plan.pk), additional_data__event="callback_plan_updated"
    ).exists()
    plan.status = PlanStatus.ACTIVE
    plan.save()
    refused = client.post(f"/callbacks/plans/{plan.pk}/edit/", _form(segment=segment_a.pk))
    assert refused.status_code == 302
    plan.refresh_from_db()
    assert plan.name == "改过的名字"


def _fields(segment, **overrides):
    today = timezone.localdate()
    fields = {
        "name": "草稿计划",
        "purpose": "回访",
        "script": "您好",
        "target_kind": PlanTarget.SEGMENT,
        "segment": segment,
        "starts_on": today,
        "due_on": today + timedelta(days=7),
    }
    fields.update(overrides)
    return fields


def test_the_preview_then_activation_makes_the_tasks_and_close_ends_it(
    client, manager_a, segment_a, guide_a, django_capture_on_commit_callbacks
):
    members = [MemberFactory(home_store=manager_a.store, guide=guide_a) for _ in range(3)]
    MemberFactory(home_store=manager_a.store, guide=guide_a, marketing_opt_out=True)
    plan = plan_create(actor=manager_a, fields=_fields(segment_a))
    client.force_login(manager_a)

    preview = client.get(f"/callbacks/plans/{plan.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/callbacks/plans/{plan.pk}/activate/")
    progress = client.get(f"/callbacks/plans/{plan.pk}/")
    closed = client.post(f"/callbacks/plans/{plan.pk}/close/")

    body = preview.content.decode()
    assert "将生成 3 条任务" in body and "会员已拒收营销信息：1" in body
    assert started.status_code == 302
    assert CallbackTask.objects.filter(plan=plan).count() == len(members)
    assert 'id="plan-funnel"' in progress.content.decode()
    assert closed.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED


def test_a_plan_past_its_due_date_is_refused_at_start_with_a_400(client, manager_a, segment_a):
    plan = CallbackPlanFactory(
        store=manager_a.store,
        segment=segment_a,
        starts_on=timezone.localdate() - timedelta(days=9),
        due_on=timezone.localdate() - timedelta(days=2),
    )
    client.force_login(manager_a)
    response = client.post(f"/callbacks/plans/{plan.pk}/activate/")
    assert response.status_code == 400
    assert "截止日期已过，不能启动回访计划。" in response.content.decode()


def test_an_hq_plan_is_read_by_the_store_but_not_managed(client, manager_a, tasks_a):
    hq_plan = CallbackPlanFactory(name="总部春季回访")
    client.force_login(manager_a)

    listed = client.get("/callbacks/plans/").content.decode()
    page = client.get(f"/callbacks/plans/{hq_plan.pk}/")
    started = client.post(f"/callbacks/plans/{hq_plan.pk}/activate/")
    edit = client.get(f"/callbacks/plans/{hq_plan.pk}/edit/")

    assert "总部春季回访" in listed and "春季新品回访" in listed
    assert page.status_code == 200 and "启动计划" not in page.content.decode()
    assert started.status_code == 403 and edit.status_code == 403
    hq_plan.refresh_from_db()
    assert hq_plan.status == PlanStatus.DRAFT


@pytest.mark.parametrize("suffix", ["", "edit/", "activate/", "close/"])
def test_another_stores_plan_is_a_404(client, manager_a, task_b, suffix):
    client.force_login(manager_a)
    path = f"/callbacks/plans/{task_b.plan_id}/{suffix}"
    response = client.post(path) if suffix in ("activate/", "close/") else client.get(path)
    assert response.status_code == 404
    task_b.plan.refresh_from_db()
    assert task_b.plan.status == PlanStatus.ACTIVE


def test_guides_get_403_and_region_managers_read_only(client, guide_a, region_manager, plan_a):
    client.force_login(guide_a)
    assert client.get("/callbacks/plans/").status_code == 403
    assert client.get("/callbacks/plans/new/").status_code == 403
    client.force_login(region_manager)
    listed = client.get("/callbacks/plans/")
    assert listed.status_code == 200 and plan_a.name in listed.content.decode()
    assert "新建计划" not in listed.content.decode()
    assert client.get("/callbacks/plans/new/").status_code == 403
    assert client.post(f"/callbacks/plans/{plan_a.pk}/close/").status_code == 403


def test_the_service_refuses_a_guide_and_takes_the_store_from_the_user(guide_a, segment_a):
    with pytest.raises(RuleViolation) as refusal:
        plan_create(actor=guide_a, fields=_fields(segment_a))
    assert refusal.value.status_code == 403


@pytest.mark.parametrize("count", [2, 12])
def test_the_plan_list_query_count_does_not_grow(
    client, manager_a, count, django_assert_max_num_queries
):
    for _ in range(count):
        active_plan(manager_a.store)
    client.force_login(manager_a)
    with django_assert_max_num_queries(5):
        assert client.get("/callbacks/plans/").status_code == 200


def test_nobody_makes_a_lifecycle_plan_by_hand(client, manager_a, segment_a):
    # given the lifecycle plan is the nightly rules' own: the form does not offer it
    client.force_login(manager_a)
    form_page = client.get("/callbacks/plans/new/")
    page = form_page.content.decode()
    assert form_page.status_code == 200 and 'value="segment"' in page
    assert 'value="lifecycle"' not in page

    # when a manager posts it all the same, through the page or the service
    response = client.post(
        "/callbacks/plans/new/", _form(target_kind="lifecycle", segment=segment_a.pk)
    )
    with pytest.raises(RuleViolation) as refused:
        plan_create(fields=_fields(segment_a, target_kind=PlanTarget.LIFECYCLE), actor=manager_a)

    # then both are refused and no plan is made
    assert response.status_code == 400
    assert refused.value.code == "plan_lifecycle_by_hand"
    assert not CallbackPlan.objects.exists()
