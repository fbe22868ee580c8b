"""Recording a call (INV-AUDIT): one `CallbackAttempt` per call, and the task's status moved
along TASK_TRANSITIONS by this one function, with an audit row in the same transaction.

- not reached: try again on the date given (tomorrow by default);
- reached: the member answered; a follow-up date keeps the task on the list, none ends it;
- declined, successful, wrong number: nothing more to do.
A call that leaves an open task where it was (not reached again, reached again) is a no-op move
of the status, but it is a call: its attempt, audit row and dates are recorded. Recording the
outcome a closed task already has (a form sent twice) is a no-op: nothing is written, apart from
the member's opt-out if it is asked for. A reached or successful call opens the 60-day conversion
window (services.conversion). The member's opt-out, when they ask for it on the call, is recorded
through the members service.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.audit import audit_record
from members.errors import RuleViolation
from members.services import member_marketing_opt_out

from ..models import (
    CONVERTING_STATUSES,
    TASK_TRANSITIONS,
    CallbackAttempt,
    CallbackTask,
    PlanStatus,
    TaskStatus,
)
from .conversion import conversion_window_end

FINAL_STATUSES = (TaskStatus.DECLINED, TaskStatus.SUCCESSFUL, TaskStatus.WRONG_NUMBER)
MAX_FOLLOW_UP_DAYS = 90


def may_work_task(user, task: CallbackTask) -> bool:
    """The member's guide (the task's assignee), or the store's manager."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_store_manager:
        return user.store_id == task.member.home_store_id
    return user.is_guide and task.member.guide_id == user.pk


def may_record_outcome(user, task: CallbackTask) -> bool:
    """Whether the task page offers the outcome form: an open task of an active plan, and the
    user may work it (what callback_outcome_record checks before it writes)."""
    return task.is_open and task.plan.status == PlanStatus.ACTIVE and may_work_task(user, task)


def _check(actor, task: CallbackTask, outcome: str) -> None:
    if not may_work_task(actor, task):
        raise RuleViolation(
            "task_not_yours", _("只有负责的导购或本店店长可以登记回访结果。"), status_code=403
        )
    if task.plan.status != PlanStatus.ACTIVE:
        raise RuleViolation("plan_not_active", _("回访计划已结束或尚未启动，不能再登记结果。"))
    if outcome not in TaskStatus.values or outcome == TaskStatus.PENDING:
        raise RuleViolation("outcome_unknown", _("请选择回访结果。"))


def _next_call_on(outcome: str, follow_up_on, today: datetime.date):
    if follow_up_on is not None:
        if follow_up_on <= today:
            raise RuleViolation("follow_up_not_future", _("下次回访日期必须晚于今天。"))
        if follow_up_on > today + datetime.timedelta(days=MAX_FOLLOW_UP_DAYS):
            raise RuleViolation(
                "follow_up_too_far",
                _("下次回访日期不能晚于 %(days)s 天之后。") % {"days": MAX_FOLLOW_UP_DAYS},
            )
    if outcome in FINAL_STATUSES:
        return None
    if outcome == TaskStatus.NOT_REACHED:
        return follow_up_on or today + datetime.timedelta(days=1)
    return follow_up_on


@transaction.atomic
def callback_outcome_record(
    *,
    task: CallbackTask,
    outcome: str,
    actor,
    note: str = "",
    follow_up_on: datetime.date | None = None,
    opt_out: bool = False,
) -> CallbackTask:
    task = (
        CallbackTask.objects.select_for_update(of=("self",))
        .select_related("plan", "member")
        .get(pk=task.pk)
    )
    _check(actor, task, outcome)
    now, before = timezone.now(), task.status
    moves = TASK_TRANSITIONS.check(before, outcome)  # raises on an illegal move
    if not moves and outcome in FINAL_STATUSES:
        _opt_out(task, actor, opt_out)
        return task
    next_call_on = _next_call_on(outcome, follow_up_on, timezone.localdate(now))
    note = (note or "").strip()
    attempt = CallbackAttempt.objects.create(
        task=task,
        outcome=outcome,
        note=note,
        follow_up_on=next_call_on,
        called_at=now,
        called_by=actor,
    )
    task.status, task.next_call_on, task.last_called_at = outcome, next_call_on, now
    task.attempts += 1
    task.note = note or task.note
    if outcome in CONVERTING_STATUSES:
        task.reached_at, task.conversion_until = now, conversion_window_end(now)
    task.save()
    audit_record(
        actor=actor,
        obj=task,
        event="callback_outcome",
        changes={"status": [before, outcome]},
        attempt=attempt.pk,
    )
    _opt_out(task, actor, opt_out)
    return task


def _opt_out(task: CallbackTask, actor, asked: bool) -> None:
    if asked:
        member_marketing_opt_out(
            member=task.member, actor=actor, reason=_("回访时会员要求不再接收营销信息")
        )
