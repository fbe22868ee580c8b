"""The lifecycle rules (生命周期规则), HQ's to switch on (LifecycleSettings), run each morning for
the local date `on` after the night's regroup (INV-JOB-RERUN, INV-NO-DUP-MESSAGE).

Valuable members get a person, the mass of ordinary members gets the system (DOMAIN.md):
- an important retention or important win-back member gets a personal callback task for their
  bound guide (the store manager where there is none), unless called in the last N days, already
  on an open task, opted out of marketing, or inside the care window;
- an ordinary retention or ordinary win-back member gets an automated SMS instead (marketing:
  opted-out members get none, and the sender checks again), at most one per N days;
- nobody inside the care window after a purchase (purchase phase 关怀, as the generation job
  computes it) is approached for selling, by either rule.

The tasks go into ONE HQ plan per month, "生命周期回访 YYYY年M月" (target kind lifecycle, every
store, created active on first need): the existing plan/task model gives them the worklist, the
outcomes, the 60-day conversion and the funnel unchanged, and the funnel shows the rules' own
figures per store and guide side by side with the campaigns'. Per month rather than one standing
plan, because a plan holds one task per member: a member still in the group a month later can
get a new task, and each month's figures stand on their own. Per HQ rather than per store,
because the rules are HQ's and a store plan each night would be thousands of plans a month.
Closing a month's plan (HQ) stops that month's tasks.

A sweep over member-id ranges on the jobs primitives: one run per date, each chunk's tasks and
messages written in its transaction with the chunk's mark; tasks are unique per plan and member
(INSERT ... ON CONFLICT DO NOTHING), messages per member, kind and date. So a re-run of a date
writes nothing and an interrupted run, run again, ends as a clean run would.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.dates import month_window
from jobs.models import JobRun
from jobs.services import id_ranges
from jobs.sweeps import Dispatch, Sweep, sweep_chunk_run, sweep_start
from members.errors import RuleViolation
from members.models import Member, RfmGroup
from messaging.models import Channel, MessageKind, OutboxMessage
from messaging.sms import sms_render, sms_template_check

from ..models import (
    LIFECYCLE_PLACEHOLDERS,
    CallbackChannel,
    CallbackPlan,
    LifecycleSettings,
    PlanStatus,
    PlanTarget,
    PriorityOrder,
)
from .generation import in_care_window_q, plan_candidates, plan_tasks_insert

JOB = "callbacks.lifecycle"
PERSONAL_GROUPS = (RfmGroup.IMPORTANT_RETENTION, RfmGroup.IMPORTANT_WINBACK)
AUTOMATED_GROUPS = (RfmGroup.ORDINARY_RETENTION, RfmGroup.ORDINARY_WINBACK)


def lifecycle_rules_run(
    *, on: datetime.date, chunk_size: int | None = None, dispatch: Dispatch | None = None
) -> JobRun:
    """Apply the rules switched on for the local date `on`, or resume that date's run. A date
    after today is refused."""
    if on > timezone.localdate():
        raise RuleViolation(
            "lifecycle_date_in_future",
            _("%(date)s 晚于今天，不能提前执行生命周期规则。") % {"date": on},
        )
    size = chunk_size or settings.CALLBACK_CHUNK_SIZE
    return sweep_start(LIFECYCLE, business_date=on, chunk_size=size, dispatch=dispatch)


def lifecycle_chunk_run(*, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    return sweep_chunk_run(LIFECYCLE, chunk_id=chunk_id, dispatch=dispatch)


def _groups(rules: LifecycleSettings) -> list[str]:
    groups = list(PERSONAL_GROUPS) if rules.personal_enabled else []
    return groups + (list(AUTOMATED_GROUPS) if rules.automated_enabled else [])


def _ranges(run: JobRun, chunk_size: int) -> list[tuple[int, int]]:
    rules = LifecycleSettings.current()
    if rules.automated_enabled:
        _templates(rules)  # a broken template fails the run before anything is written
    groups = _groups(rules)
    if not groups:
        return []
    return id_ranges(Member.objects.filter(rfm__group__in=groups), chunk_size)


def _apply_range(run: JobRun, lo: int, hi: int) -> int:
    rules, on = LifecycleSettings.current(), run.business_date
    members = Member.objects.filter(pk__gte=lo, pk__lt=hi)
    written = 0
    if rules.personal_enabled:
        written += _personal_tasks(rules, on, members.filter(rfm__group__in=PERSONAL_GROUPS))
    if rules.automated_enabled:
        written += _automated_messages(rules, on, members.filter(rfm__group__in=AUTOMATED_GROUPS))
    return written


# --- Personal tasks -----------------------------------------------------------------------------


def lifecycle_plan_name(on: datetime.date) -> str:
    return _("生命周期回访 %(year)d年%(month)d月") % {"year": on.year, "month": on.month}


def _month_plan(rules: LifecycleSettings, on: datetime.date) -> CallbackPlan:
    """The month's lifecycle plan, locked; created (active) on first need."""
    first, next_first = month_window(on)
    plans = CallbackPlan.objects.select_for_update().filter(
        target_kind=PlanTarget.LIFECYCLE, starts_on=first
    )
    plan = plans.first()
    if plan is not None:
        return plan
    try:
        with transaction.atomic():
            CallbackPlan.objects.create(
                name=lifecycle_plan_name(on),
                purpose=_("重要保持、重要挽留会员：导购一对一回访"),
                script=rules.personal_script,
                channel=CallbackChannel.PHONE,
                target_kind=PlanTarget.LIFECYCLE,
                starts_on=first,
                due_on=next_first - datetime.timedelta(days=1),
                priority_order=PriorityOrder.GROUP,
                cooldown_days=rules.personal_quiet_days,
                status=PlanStatus.ACTIVE,
                activated_at=timezone.now(),
            )
    except IntegrityError:  # another chunk made it first
        pass
    return plans.get()


def _personal_tasks(rules: LifecycleSettings, on: datetime.date, members) -> int:
    plan = _month_plan(rules, on)
    if plan.status != PlanStatus.ACTIVE:
        return 0
    # "Not called in the last N days" is the plan's cooldown; the care window, opt-out, an
    # open task elsewhere and no assignee exclude as in any plan (services.generation).
    plan.cooldown_days, plan.respect_care_window = rules.personal_quiet_days, True
    eligible = plan_candidates(plan, members, today=on).filter(exclusion="")
    due_on = on + datetime.timedelta(days=rules.personal_due_days)
    written = plan_tasks_insert(plan, eligible, next_call_on=on, due_on=due_on)
    if written:
        plan.task_count += written
        plan.due_on = max(plan.due_on, due_on)
        plan.save(update_fields=["task_count", "due_on", "cooldown_days", "updated_at"])
    return written


# --- Automated messages -------------------------------------------------------------------------


def _templates(rules: LifecycleSettings) -> dict[str, str]:
    """group -> its SMS template, refused when one breaks the SMS rules (saved around the
    validator): the run then fails with the reason in its error."""
    templates = {
        RfmGroup.ORDINARY_RETENTION: rules.retention_sms_template,
        RfmGroup.ORDINARY_WINBACK: rules.winback_sms_template,
    }
    for template in templates.values():
        try:
            sms_template_check(template, marketing=True, placeholders=LIFECYCLE_PLACEHOLDERS)
        except ValidationError as error:
            raise RuleViolation(
                "lifecycle_template_invalid",
                _("生命周期短信模板不符合短信规则：%(reasons)s")
                % {"reasons": "".join(error.messages)},
            ) from error
    return templates


def _automated_messages(rules: LifecycleSettings, on: datetime.date, members) -> int:
    templates = _templates(rules)
    recent = OutboxMessage.objects.filter(
        member_id=OuterRef("pk"),
        kind=MessageKind.LIFECYCLE_MESSAGE,
        due_date__gt=on - datetime.timedelta(days=rules.automated_interval_days),
    )
    rows = (
        members.filter(marketing_opt_out=False)
        .exclude(in_care_window_q(today=on))
        .exclude(Exists(recent))
        .order_by("pk")
        .values_list("pk", "name", "rfm__group")
    )
    messages = [
        OutboxMessage(
            member_id=pk,
            kind=MessageKind.LIFECYCLE_MESSAGE,
            due_date=on,
            channel=Channel.SMS,
            marketing=True,
            body=sms_render(templates[group], {"name": name}),
            payload={"group": group},
        )
        for pk, name, group in rows
    ]
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
    return len(messages)


LIFECYCLE = Sweep(job=JOB, ranges=_ranges, work=_apply_range)
