"""Morning reminders of overdue callback tasks (INV-NO-DUP-MESSAGE, INV-JOB-RERUN).

For the local date `on`, every active member of staff with overdue tasks
(CallbackTask.objects.overdue: open tasks of active plans past their due date, still waiting for
a call) gets ONE internal message (kind callback_overdue, due `on`) saying how many. Staff
reminders are work, not marketing: no opt-out applies, but the outbox's uniqueness per recipient,
kind and date does, so a re-run never writes a second one. A sweep over assignee-id ranges on
the jobs primitives: one run per date, each chunk one set-based read and one insert.
"""

import datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext as _

from jobs.models import JobRun
from jobs.services import id_ranges
from jobs.sweeps import Dispatch, Sweep, sweep_chunk_run, sweep_start
from members.models import User
from messaging.models import Channel, MessageKind, OutboxMessage

from ..models import CallbackTask

JOB = "callbacks.remind_overdue"


def overdue_reminders_enqueue(
    *, on: datetime.date, chunk_size: int | None = None, dispatch: Dispatch | None = None
) -> JobRun:
    """Write the day's overdue reminders to the outbox, or resume that day's run."""
    size = chunk_size or settings.CALLBACK_CHUNK_SIZE
    return sweep_start(OVERDUE, business_date=on, chunk_size=size, dispatch=dispatch)


def overdue_chunk_run(*, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    return sweep_chunk_run(OVERDUE, chunk_id=chunk_id, dispatch=dispatch)


def overdue_counts(*, on: datetime.date):
    """(assignee id, overdue tasks) of active staff, read in one GROUP BY."""
    return (
        CallbackTask.objects.overdue(on=on)
        .filter(assignee__is_active=True)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
    )


def overdue_reminder_body(count: int) -> str:
    return _("您有 %(count)d 条回访任务已过截止日期，请尽快回访。") % {"count": count}


def _ranges(run: JobRun, chunk_size: int) -> list[tuple[int, int]]:
    assignees = overdue_counts(on=run.business_date).values("assignee_id")
    return id_ranges(User.objects.filter(pk__in=assignees), chunk_size)


def _remind_range(run: JobRun, lo: int, hi: int) -> int:
    on = run.business_date
    reminded = OutboxMessage.objects.filter(
        staff_id=OuterRef("assignee_id"), kind=MessageKind.CALLBACK_OVERDUE, due_date=on
    )
    rows = (
        overdue_counts(on=on)
        .filter(assignee_id__gte=lo, assignee_id__lt=hi)
        .filter(~Exists(reminded))
    )
    messages = [
        OutboxMessage(
            staff_id=row["assignee_id"],
            kind=MessageKind.CALLBACK_OVERDUE,
            due_date=on,
            channel=Channel.INTERNAL,
            marketing=False,
            body=overdue_reminder_body(row["n"]),
            payload={"overdue": row["n"]},
        )
        for row in rows
    ]
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
    return len(messages)


OVERDUE = Sweep(job=JOB, ranges=_ranges, work=_remind_range)
