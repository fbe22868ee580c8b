"""Recording a call's outcome: every move of TASK_TRANSITIONS, legal and illegal, the no-op
rules, an audit row per outcome (INV-AUDIT), the member's opt-out, follow-up dates and who may
record."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from callbacks.models import TASK_TRANSITIONS, CallbackAttempt, PlanStatus, TaskStatus
from callbacks.services.outcomes import MAX_FOLLOW_UP_DAYS, callback_outcome_record
from members.errors import RuleViolation
from members.transitions import IllegalTransition
from tests.callbacks.factories import CallbackTaskFactory
from tests.members.factories import (
    GuideFactory,
    HqAdminFactory,
    RegionManagerFactory,
)

pytestmark = pytest.mark.django_db

OUTCOMES = [status for status in TaskStatus.values if status != TaskStatus.PENDING]
LEGAL = [(a, b) for a, targets in TASK_TRANSITIONS.table.items() for b in sorted(targets)]
ILLEGAL = [
    (a, b)
    for a, targets in TASK_TRANSITIONS.table.items()
    for b in OUTCOMES
    if b not in targets and a != b
]
FINAL = [TaskStatus.DECLINED, TaskStatus.SUCCESSFUL, TaskStatus.WRONG_NUMBER]


@pytest.fixture
def task(member_a):
    return CallbackTaskFactory(member=member_a)


def _in(task, status):
    type(task).objects.filter(pk=task.pk).update(status=status)
    task.refresh_from_db()
    return task


def _audits(task):
    return LogEntry.objects.filter(
        object_pk=str(task.pk), additional_data__event="callback_outcome"
    )


def test_the_table_covers_every_outcome_and_leaves_final_statuses_closed():
    assert set(TASK_TRANSITIONS.table) == set(TaskStatus.values)
    for status in FINAL:
        assert TASK_TRANSITIONS.table[status] == frozenset()
    assert TaskStatus.PENDING not in set().union(*TASK_TRANSITIONS.table.values())


@pytest.mark.parametrize(("before", "outcome"), LEGAL)
def test_every_legal_move_changes_the_status_and_is_recorded_and_audited(
    task, guide_a, before, outcome
):
    _in(task, before)

    callback_outcome_record(task=task, outcome=outcome, actor=guide_a, note="  聊了新品  ")

    task.refresh_from_db()
    attempt = CallbackAttempt.objects.get(task=task)
    assert task.status == outcome and task.attempts == 1 and task.last_called_at is not None
    assert (attempt.outcome, attempt.called_by, attempt.note) == (outcome, guide_a, "聊了新品")
    assert task.note == "聊了新品"
    audit = _audits(task).get()
    assert audit.changes_dict == {"status": [before, outcome]}
    assert audit.actor == guide_a and audit.additional_data["attempt"] == attempt.pk


@pytest.mark.parametrize(("before", "outcome"), ILLEGAL)
def test_every_illegal_move_is_refused_in_chinese_and_writes_nothing(
    task, guide_a, before, outcome
):
    _in(task, before)

    with pytest.raises(IllegalTransition) as refused:
        callback_outcome_record(task=task, outcome=outcome, actor=guide_a)

    task.refresh_from_db()
    assert task.status == before and task.attempts == 0
    assert "回访结果不能从" in str(refused.value.message)
    assert not CallbackAttempt.objects.filter(task=task).exists()
    assert not _audits(task).exists()


@pytest.mark.parametrize("status", [TaskStatus.NOT_REACHED, TaskStatus.REACHED])
def test_calling_again_with_the_same_open_outcome_is_a_call_but_no_move(task, guide_a, status):
    _in(task, status)

    callback_outcome_record(task=task, outcome=status, actor=guide_a)
    callback_outcome_record(task=task, outcome=status, actor=guide_a)

    task.refresh_from_db()
    assert task.status == status and task.attempts == 2
    assert CallbackAttempt.objects.filter(task=task).count() == 2
    assert _audits(task).count() == 2


@pytest.mark.parametrize("status", FINAL)
def test_recording_a_closed_tasks_outcome_again_is_a_no_op(task, guide_a, status):
    callback_outcome_record(task=task, outcome=status, actor=guide_a, note="第一次")
    task.refresh_from_db()
    before = (task.attempts, task.reached_at, task.conversion_until, task.note)

    callback_outcome_record(task=task, outcome=status, actor=guide_a, note="重复提交")

    task.refresh_from_db()
    assert (task.attempts, task.reached_at, task.conversion_until, task.note) == before
    assert CallbackAttempt.objects.filter(task=task).count() == 1
    assert _audits(task).count() == 1


def test_a_reached_or_successful_call_opens_the_conversion_window(task, guide_a):
    callback_outcome_record(task=task, outcome=TaskStatus.REACHED, actor=guide_a)
    task.refresh_from_db()
    first = task.reached_at
    assert first is not None and task.conversion_until > first + timedelta(days=60)

    callback_outcome_record(task=task, outcome=TaskStatus.SUCCESSFUL, actor=guide_a)

    task.refresh_from_db()
    assert task.reached_at >= first


@pytest.mark.parametrize("outcome", [TaskStatus.NOT_REACHED, TaskStatus.DECLINED])
def test_a_call_that_did_not_convert_opens_no_window(task, guide_a, outcome):
    callback_outcome_record(task=task, outcome=outcome, actor=guide_a)

    task.refresh_from_db()
    assert task.reached_at is None and task.conversion_until is None


# --- Opt-out on the call ------------------------------------------------------------------------


def test_the_members_opt_out_asked_on_the_call_is_recorded_and_audited(task, guide_a):
    callback_outcome_record(task=task, outcome=TaskStatus.DECLINED, actor=guide_a, opt_out=True)

    task.member.refresh_from_db()
    assert task.member.marketing_opt_out is True
    opt_out = LogEntry.objects.get(
        object_pk=str(task.member.pk), additional_data__event="marketing_opt_out"
    )
    assert opt_out.actor == guide_a


def test_without_the_opt_out_box_the_member_keeps_their_consent(task, guide_a):
    callback_outcome_record(task=task, outcome=TaskStatus.DECLINED, actor=guide_a)

    task.member.refresh_from_db()
    assert task.member.marketing_opt_out is False


def test_an_opt_out_sent_with_a_repeated_final_outcome_still_takes_effect(task, guide_a):
    callback_outcome_record(task=task, outcome=TaskStatus.DECLINED, actor=guide_a)

    callback_outcome_record(task=task, outcome=TaskStatus.DECLINED, actor=guide_a, opt_out=True)

    task.member.refresh_from_db()
    assert task.member.marketing_opt_out is True
    assert CallbackAttempt.objects.filter(task=task).count() == 1


# --- Follow-up dates ----------------------------------------------------------------------------


def test_not_reached_is_tried_again_tomorrow_by_default(task, guide_a):
    callback_outcome_record(task=task, outcome=TaskStatus.NOT_REACHED, actor=guide_a)

    task.refresh_from_db()
    assert task.next_call_on == timezone.localdate() + timedelta(days=1)
    assert CallbackAttempt.objects.get(task=task).follow_up_on == task.next_call_on


def test_not_reached_is_tried_again_on_the_date_given(task, guide_a):
    later = timezone.localdate() + timedelta(days=3)

    callback_outcome_record(
        task=task, outcome=TaskStatus.NOT_REACHED, actor=guide_a, follow_up_on=later
    )

    task.refresh_from_db()
    assert task.next_call_on == later


def test_reached_with_a_follow_up_stays_on_the_list_and_without_one_leaves_it(member_a, guide_a):
    later = timezone.localdate() + timedelta(days=5)
    kept, ended = CallbackTaskFactory(member=member_a), CallbackTaskFactory(member=member_a)

    callback_outcome_record(
        task=kept, outcome=TaskStatus.REACHED, actor=guide_a, follow_up_on=later
    )
    callback_outcome_record(task=ended, outcome=TaskStatus.REACHED, actor=guide_a)

    kept.refresh_from_db()
    ended.refresh_from_db()
    assert kept.next_call_on == later and ended.next_call_on is None
    assert ended.status == TaskStatus.REACHED


@pytest.mark.parametrize("outcome", FINAL)
def test_a_final_outcome_ends_the_task_whatever_follow_up_is_given(task, guide_a, outcome):
    later = timezone.localdate() + timedelta(days=5)

    callback_outcome_record(task=task, outcome=outcome, actor=guide_a, follow_up_on=later)

    task.refresh_from_db()
    assert task.next_call_on is None and not task.is_open


@pytest.mark.parametrize(
    ("days", "code", "message"),
    [
        (0, "follow_up_not_future", "下次回访日期必须晚于今天。"),
        (-1, "follow_up_not_future", "下次回访日期必须晚于今天。"),
        (MAX_FOLLOW_UP_DAYS + 1, "follow_up_too_far", "下次回访日期不能晚于 90 天之后。"),
    ],
)
def test_a_follow_up_date_today_in_the_past_or_too_far_is_refused(
    task, guide_a, days, code, message
):
    with pytest.raises(RuleViolation) as refused:
        callback_outcome_record(
            task=task,
            outcome=TaskStatus.NOT_REACHED,
            actor=guide_a,
            follow_up_on=timezone.localdate() + timedelta(days=days),
        )

    assert (refused.value.code, str(refused.value.message)) == (code, message)
    assert not CallbackAttempt.objects.filter(task=task).exists()


def test_a_follow_up_on_the_last_allowed_day_is_accepted(task, guide_a):
    last = timezone.localdate() + timedelta(days=MAX_FOLLOW_UP_DAYS)

    callback_outcome_record(
        task=task, outcome=TaskStatus.NOT_REACHED, actor=guide_a, follow_up_on=last
    )

    task.refresh_from_db()
    assert task.next_call_on == last


# --- Who may record -----------------------------------------------------------------------------


def test_the_store_manager_may_record_for_a_member_of_the_store(task, manager_a):
    callback_outcome_record(task=task, outcome=TaskStatus.SUCCESSFUL, actor=manager_a)

    task.refresh_from_db()
    assert task.status == TaskStatus.SUCCESSFUL
    assert CallbackAttempt.objects.get(task=task).called_by == manager_a


@pytest.mark.parametrize(
    "who",
    ["other_guide_same_store", "guide_b", "manager_b", "hq", "region_manager", "inactive_guide"],
)
def test_nobody_else_may_record_an_outcome(task, store_a, guide_b, manager_b, guide_a, who):
    actors = {
        "other_guide_same_store": lambda: GuideFactory(store=store_a),
        "guide_b": lambda: guide_b,
        "manager_b": lambda: manager_b,
        "hq": HqAdminFactory,
        "region_manager": lambda: RegionManagerFactory(region=store_a.region),
        "inactive_guide": lambda: _inactive(guide_a),
    }
    actor = actors[who]()

    with pytest.raises(RuleViolation) as refused:
        callback_outcome_record(task=task, outcome=TaskStatus.SUCCESSFUL, actor=actor)

    assert refused.value.code == "task_not_yours" and refused.value.status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING
    assert not CallbackAttempt.objects.filter(task=task).exists()


def _inactive(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


def test_a_guide_loses_the_task_of_a_member_re_bound_away(task, store_a, guide_a):
    other = GuideFactory(store=store_a)
    type(task.member).objects.filter(pk=task.member_id).update(guide=other)

    with pytest.raises(RuleViolation):
        callback_outcome_record(task=task, outcome=TaskStatus.SUCCESSFUL, actor=guide_a)
    callback_outcome_record(task=task, outcome=TaskStatus.SUCCESSFUL, actor=other)


@pytest.mark.parametrize("status", [PlanStatus.DRAFT, PlanStatus.CLOSED])
def test_no_outcome_is_recorded_on_a_plan_not_running(task, guide_a, status):
    type(task.plan).objects.filter(pk=task.plan_id).update(status=status)

    with pytest.raises(RuleViolation) as refused:
        callback_outcome_record(task=task, outcome=TaskStatus.SUCCESSFUL, actor=guide_a)

    assert refused.value.code == "plan_not_active"


@pytest.mark.parametrize("outcome", ["", "pending", "called", None])
def test_an_unknown_outcome_is_refused(task, guide_a, outcome):
    with pytest.raises(RuleViolation) as refused:
        callback_outcome_record(task=task, outcome=outcome, actor=guide_a)

    assert (refused.value.code, str(refused.value.message)) == (
        "outcome_unknown",
        "请选择回访结果。",
    )
