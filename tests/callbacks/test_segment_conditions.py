"""Segment conditions on callbacks: in a running plan (any, or a given one), called in the last N
days, the latest call's outcome."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from callbacks.models import CallbackTask, PlanStatus, TaskStatus
from members.models import Member, RfmGroup
from members.segments import condition_for, rule_q, rule_validate
from members.segments.builder import condition_choices
from tests.callbacks.factories import CallbackPlanFactory, CallbackTaskFactory
from tests.members.factories import GuideFactory, MemberFactory, MemberRfmFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def matching(*items, op="and", today=TODAY) -> set[int]:
    rule = {"op": op, "items": list(items)}
    return set(Member.objects.filter(rule_q(rule, today=today)).values_list("pk", flat=True))


def at(day: date, hour=12, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def task(*, plan=None, member=None, status=TaskStatus.PENDING, called=None):
    fields = {"plan": plan} if plan is not None else {}
    member = member or MemberFactory(guide=GuideFactory())
    made = CallbackTaskFactory(member=member, **fields)
    CallbackTask.objects.filter(pk=made.pk).update(status=status, last_called_at=called)
    return made.member


def test_conditions_are_registered_in_the_callback_family():
    families = dict(condition_choices())
    keys = [key for key, _label in families["回访"]]
    assert keys == ["in_callback_plan", "called_within", "last_callback_outcome"]


# --- in_callback_plan ---------------------------------------------------------------------------


def test_in_any_running_plan():
    running = task()
    done_in_running = task(status=TaskStatus.SUCCESSFUL, called=at(TODAY))
    closed = task(plan=CallbackPlanFactory(status=PlanStatus.CLOSED))
    draft = task(plan=CallbackPlanFactory(status=PlanStatus.DRAFT))
    MemberFactory()

    chosen = matching({"type": "in_callback_plan"})

    assert chosen == {running.pk, done_in_running.pk}
    assert not chosen & {closed.pk, draft.pk}


def test_in_a_given_plan_even_once_it_has_closed():
    plan = CallbackPlanFactory(status=PlanStatus.CLOSED)
    inside = task(plan=plan)
    task()  # another (running) plan

    assert matching({"type": "in_callback_plan", "plan": plan.pk}) == {inside.pk}


def test_a_member_with_two_tasks_is_selected_once():
    member = task()
    task(member=member)

    rule = {"op": "and", "items": [{"type": "in_callback_plan"}]}
    assert Member.objects.filter(rule_q(rule, today=TODAY)).count() == 1


# --- called_within ------------------------------------------------------------------------------


def test_called_within_counts_local_days():
    today_late = task(status=TaskStatus.DECLINED, called=at(TODAY, 23, 59))
    seven_days_ago = task(status=TaskStatus.NOT_REACHED, called=at(TODAY - timedelta(days=7), 0, 1))
    eight_days_ago = task(
        status=TaskStatus.REACHED, called=at(TODAY - timedelta(days=7)) - timedelta(hours=13)
    )
    never = task()

    chosen = matching({"type": "called_within", "days": 7})

    assert chosen == {today_late.pk, seven_days_ago.pk}
    assert not chosen & {eight_days_ago.pk, never.pk}


# --- last_callback_outcome ----------------------------------------------------------------------


def test_the_latest_call_decides_the_outcome():
    member = task(status=TaskStatus.DECLINED, called=at(TODAY - timedelta(days=40)))
    task(member=member, status=TaskStatus.SUCCESSFUL, called=at(TODAY - timedelta(days=3)))
    task(member=member)  # a newer task not called yet changes nothing
    declined = task(status=TaskStatus.DECLINED, called=at(TODAY))
    never = task()

    successful = matching({"type": "last_callback_outcome", "outcomes": ["successful"]})
    declined_or_wrong = matching(
        {"type": "last_callback_outcome", "outcomes": ["declined", "wrong_number"]}
    )

    assert successful == {member.pk}
    assert declined_or_wrong == {declined.pk}
    assert never.pk not in successful | declined_or_wrong


# --- Combined with other conditions -------------------------------------------------------------


def test_callback_conditions_combine_with_others():
    # The win-back member reached lately but not yet in a plan now: worth a new campaign.
    winback = task(
        plan=CallbackPlanFactory(status=PlanStatus.CLOSED),
        status=TaskStatus.REACHED,
        called=at(TODAY - timedelta(days=2)),
    )
    MemberRfmFactory(member=winback, group=RfmGroup.IMPORTANT_WINBACK)
    value = task(status=TaskStatus.REACHED, called=at(TODAY - timedelta(days=2)))
    MemberRfmFactory(member=value, group=RfmGroup.IMPORTANT_VALUE)
    reached = {"type": "last_callback_outcome", "outcomes": ["reached"]}
    running = {"type": "in_callback_plan"}
    group = {"type": "rfm_group", "groups": ["important_winback"]}

    assert matching(reached, group) == {winback.pk}
    assert matching(reached, {"op": "or", "items": [running, group]}) == {winback.pk, value.pk}
    assert matching({"type": "called_within", "days": 7}, running) == {value.pk}


# --- Validation ---------------------------------------------------------------------------------


def errors_of(item, user=None) -> list[str]:
    return [error.message for error in rule_validate({"op": "and", "items": [item]}, user=user)]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"type": "in_callback_plan", "plan": 999999}, "所选回访计划不存在或不可用。"),
        ({"type": "in_callback_plan", "plan": "abc"}, "所选回访计划不存在或不可用。"),
        ({"type": "called_within"}, "请填写天数。"),
        ({"type": "called_within", "days": 0}, "天数不能小于 1。"),
        ({"type": "called_within", "days": "x"}, "天数必须是整数。"),
        ({"type": "called_within", "days": 10**9}, "天数不能大于 36500。"),
        ({"type": "last_callback_outcome"}, "请至少选择一个回访结果。"),
        ({"type": "last_callback_outcome", "outcomes": ["pending"]}, "“pending”不是可选的选项。"),
        ({"type": "last_callback_outcome", "outcomes": "reached"}, "请选择一个或多个选项。"),
    ],
)
def test_bad_params_are_rejected_in_chinese(item, message):
    assert message in errors_of(item)


def test_a_store_may_choose_hq_plans_and_its_own_but_not_another_stores(
    store_a, store_b, manager_a
):
    hq_plan = CallbackPlanFactory()
    own = CallbackPlanFactory(store=store_a)
    other = CallbackPlanFactory(store=store_b)

    assert errors_of({"type": "in_callback_plan", "plan": hq_plan.pk}, manager_a) == []
    assert errors_of({"type": "in_callback_plan", "plan": own.pk}, manager_a) == []
    assert errors_of({"type": "in_callback_plan", "plan": other.pk}, manager_a) == [
        "所选回访计划不存在或不可用。"
    ]


def test_describe_says_what_the_condition_selects():
    plan = CallbackPlanFactory(name="618 回访")

    assert condition_for("in_callback_plan").describe({"plan": plan}) == "在回访计划“618 回访”中"
    assert condition_for("in_callback_plan").describe({}) == "在进行中的回访计划中"
    assert condition_for("called_within").describe({"days": 30}) == "最近 30 天被回访过"
    assert condition_for("last_callback_outcome").describe(
        {"outcomes": ["successful", "declined"]}
    ) == ("最近一次回访结果：回访成功、拒绝")


# --- In the rule builder ------------------------------------------------------------------------


def test_the_builder_saves_a_callback_condition(client, manager_a):
    client.force_login(manager_a)

    saved = client.post(
        "/segments/new/",
        {
            "name": "近期回访成功",
            "node": ["r", "r.0"],
            "r-op": "and",
            "action": "save",
            "r.0-type": "last_callback_outcome",
            "r.0-outcomes": ["successful"],
        },
    )

    assert saved.status_code == 302, saved.content.decode()[-3000:]
    detail = client.get(saved["Location"]).content.decode()
    assert "最近一次回访结果" in detail


def test_the_builder_shows_the_chinese_error_of_a_callback_condition(client, manager_a):
    client.force_login(manager_a)

    response = client.post(
        "/segments/new/",
        {
            "name": "最近回访",
            "node": ["r", "r.0"],
            "r-op": "and",
            "action": "save",
            "r.0-type": "called_within",
            "r.0-days": "0",
        },
    )

    assert response.status_code == 400
    assert "天数不能小于 1。" in response.content.decode()
