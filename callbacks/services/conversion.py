"""60-day conversion (回访转化): a counted order of the member within 60 days after a reached or
successful call converts the task, with the order's net amount, credited once.

The rule, for the members of an id range, recomputed from scratch each time (so it is idempotent
by construction and a refund or a late import is reflected the next time it runs):
- each counted order (not refunded in full) of the member credits the MOST RECENT call that
  reached the member before it (a reached or successful `CallbackAttempt`, of any of the member's
  tasks), provided the order falls within that call's window (up to the end of the 60th local day
  after the call's day, Asia/Shanghai: `conversion_window_end`); an older callback is never
  credited in its place;
- a task is converted by the first order credited to it; an order converts at most one task (a
  unique constraint backs it).

It runs for one member when an order or a refund arrives from the POS (`member_conversions_settle`)
and for every member with a window open or recently closed in the nightly job (`conversions_check`,
on jobs.sweeps), which also catches bulk imports.
"""

import datetime
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobs.dates import local_day_start
from jobs.models import JobRun
from jobs.services import id_ranges
from jobs.sweeps import Dispatch, Sweep, sweep_chunk_run, sweep_start
from members.models import Member, Order

from ..models import CONVERSION_DAYS, CONVERTING_STATUSES, CallbackAttempt, CallbackTask

JOB = "callbacks.convert"


def conversion_window_end(called_at: datetime.datetime) -> datetime.datetime:
    """The end of the 60th local day (Asia/Shanghai) after the call's day: an order paid before
    it converts."""
    day = called_at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return local_day_start(day + datetime.timedelta(days=CONVERSION_DAYS + 1))


def _settle(lo: int, hi: int) -> int:
    """Recompute the conversions of the members in [lo, hi); returns the tasks changed."""
    tasks = list(
        CallbackTask.objects.filter(member_id__gte=lo, member_id__lt=hi, reached_at__isnull=False)
        .select_for_update()
        .order_by("pk")
    )
    if not tasks:
        return 0
    reaches = _reaches_of(tasks)
    credited = _credited(reaches, _orders_of(reaches))
    return _write(tasks, credited)


def _reaches_of(tasks: list[CallbackTask]) -> list[CallbackAttempt]:
    """Every call that reached the member (reached or successful), of these tasks, latest first.
    Each call opens its own window: a later call on the same task does not take back an order
    an earlier one converted."""
    return list(
        CallbackAttempt.objects.filter(
            task_id__in=[task.pk for task in tasks], outcome__in=CONVERTING_STATUSES
        )
        .annotate(member_ref=F("task__member_id"))
        .order_by("-called_at", "-pk")
        .only("pk", "task_id", "called_at")
    )


def _orders_of(reaches: list[CallbackAttempt]) -> list[Order]:
    if not reaches:
        return []
    return list(
        Order.objects.counted()
        .filter(
            member_id__in={reach.member_ref for reach in reaches},
            paid_at__gte=min(reach.called_at for reach in reaches),
        )
        .annotate(net=F("amount") - F("refunded_amount"))
        .order_by("paid_at", "pk")
        .only("pk", "member_id", "paid_at", "amount", "refunded_amount")
    )


def _credited(reaches: list[CallbackAttempt], orders: list[Order]) -> dict[int, Order]:
    """task id -> the first order credited to it: each order goes to the member's most recent
    reaching call before it, when within that call's window, and to no other."""
    by_member = defaultdict(list)  # latest call first
    for reach in reaches:
        by_member[reach.member_ref].append(reach)
    credited: dict[int, Order] = {}
    for order in orders:
        latest = next((r for r in by_member[order.member_id] if r.called_at <= order.paid_at), None)
        if latest is not None and order.paid_at < conversion_window_end(latest.called_at):
            credited.setdefault(latest.task_id, order)
    return credited


def _write(tasks: list[CallbackTask], credited: dict[int, Order]) -> int:
    changed = []
    for task in tasks:
        order = credited.get(task.pk)
        wanted = (order.pk, order.net, order.paid_at) if order else (None, None, None)
        if (task.converted_order_id, task.converted_amount, task.converted_at) != wanted:
            changed.append((task, wanted))
    now = timezone.now()
    # Clear first, so an order moving between two tasks never holds both for a moment.
    cleared = [task.pk for task, wanted in changed if task.converted_order_id is not None]
    CallbackTask.objects.filter(pk__in=cleared).update(
        converted_order=None, converted_amount=None, converted_at=None, updated_at=now
    )
    for task, (order_id, amount, at) in changed:
        if order_id is not None:
            CallbackTask.objects.filter(pk=task.pk).update(
                converted_order_id=order_id,
                converted_amount=amount,
                converted_at=at,
                updated_at=now,
            )
    return len(changed)


@transaction.atomic
def member_conversions_settle(member_id: int | None) -> int:
    """After an order or a refund of the member arrives (the POS): their conversions now."""
    if member_id is None:
        return 0
    return _settle(member_id, member_id + 1)


def conversions_check(
    *, business_date: datetime.date, chunk_size: int | None = None, dispatch: Dispatch | None = None
) -> JobRun:
    """The nightly check for business date D: every member with a callback whose window was open
    at some point in the last CONVERSION_DAYS days, settled again."""
    size = chunk_size or settings.CALLBACK_CHUNK_SIZE
    return sweep_start(CONVERSION, business_date=business_date, chunk_size=size, dispatch=dispatch)


def conversion_chunk_run(*, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    return sweep_chunk_run(CONVERSION, chunk_id=chunk_id, dispatch=dispatch)


def _ranges(run: JobRun, chunk_size: int) -> list[tuple[int, int]]:
    since = local_day_start(run.business_date - datetime.timedelta(days=CONVERSION_DAYS))
    members = CallbackTask.objects.filter(conversion_until__gte=since).values("member_id")
    return id_ranges(Member.objects.filter(pk__in=members), chunk_size)


def _check_range(run: JobRun, lo: int, hi: int) -> int:
    return _settle(lo, hi)


CONVERSION = Sweep(job=JOB, ranges=_ranges, work=_check_range)
