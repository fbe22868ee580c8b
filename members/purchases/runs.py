"""The nightly purchase-summary refresh as a chunked job (INV-JOB-RERUN), on `jobs.services`.

One step, `members`: a chunk per member-id range rewrites its members' summary rows as of the
business date (members.purchases.build), in one transaction with its `finished` mark. The first
run (or a `full` one) rewrites every member; later runs bring the latest finished run forward,
rewriting only the members whose orders changed since it began, or were paid after its date.
When the last chunk is done, the one caller that wins the advance to `finish` clears the work
table and closes the run. A finished date is never redone; a killed run, re-run, ends as a
clean run would. `dispatch` sends chunk ids to be run: in-process or as Celery tasks.
"""

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import JobRun, JobStatus
from jobs.services import (
    id_ranges,
    job_chunk_execute,
    job_chunks_left,
    job_run_advance,
    job_run_fail,
    job_run_finish,
    job_run_open,
    job_run_plan,
)
from members.errors import RuleViolation
from members.models import Member, MemberPurchase, PurchaseStage, PurchaseSummaryRun
from members.rfm import sql

from .build import chunk_rewrite, stage_clear

JOB = "members.purchase_summary"
MEMBERS, FINISH = "members", "finish"
DEFAULT_CHUNK_SIZE = 50_000
# A change committed a little after a refresh began may have been stamped a little before it:
# changes are counted from this long before the refresh began.
CHANGES_MARGIN = datetime.timedelta(minutes=10)

Dispatch = Callable[[list[int]], None]


def purchase_summary_refresh(
    *,
    business_date: datetime.date,
    full: bool = False,
    chunk_size: int | None = None,
    dispatch: Dispatch | None = None,
) -> PurchaseSummaryRun:
    """Refresh the summary as of `business_date`, or resume that date's unfinished run.

    A finished date is returned as it is. A date after today, or before the latest run's, is
    refused. `full` rewrites every member even when an earlier run could be brought forward.
    """
    done = PurchaseSummaryRun.objects.filter(business_date=business_date, finished_at__isnull=False)
    if run := done.first():
        return run
    _check_date(business_date)
    chunk_size = chunk_size or getattr(settings, "PURCHASE_SUMMARY_CHUNK_SIZE", DEFAULT_CHUNK_SIZE)
    if chunk_size < 1:
        raise RuleViolation("purchase_chunk_size", _("分片大小必须为正整数。"))
    run = _run_open(business_date, full=full)
    with _failure_recorded(run):
        ranges = id_ranges(Member.objects.all(), chunk_size)
        job_run_plan(JobRun(pk=run.job_run_id), step=MEMBERS, ranges=ranges)
        _push(run, dispatch=dispatch or run_inline, redispatch=True)
    run.refresh_from_db()
    return run


def purchase_chunk_run(*, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    """Run one chunk (skipped when already finished), then finish the run if it was the last.
    Returns whether the chunk did its work now."""
    run = PurchaseSummaryRun.objects.select_related("previous").get(job_run__chunks=chunk_id)
    with _failure_recorded(run):
        done = job_chunk_execute(
            chunk_id, lambda chunk: chunk_rewrite(run, lo=chunk.lo, hi=chunk.hi)
        )
        _push(run, dispatch=dispatch or run_inline, redispatch=False)
    return done


def run_inline(chunk_ids: list[int]) -> None:
    """Dispatch in-process, one chunk after another (the command, the demo, tests)."""
    for chunk_id in chunk_ids:
        purchase_chunk_run(chunk_id=chunk_id, dispatch=run_inline)


def _check_date(business_date: datetime.date) -> None:
    if business_date > timezone.localdate():
        raise RuleViolation(
            "purchase_date_in_future",
            _("统计日期 %(date)s 晚于今天，不能汇总购买记录。") % {"date": business_date},
        )
    later = PurchaseSummaryRun.objects.filter(business_date__gt=business_date)
    if latest := later.order_by("-business_date").first():
        raise RuleViolation(
            "purchase_date_not_monotone",
            _("已有 %(later)s 的购买汇总，不能再按更早的日期 %(date)s 汇总。")
            % {"later": latest.business_date, "date": business_date},
        )


@transaction.atomic
def _run_open(business_date: datetime.date, *, full: bool) -> PurchaseSummaryRun:
    """The date's run; on first open it records when changes count from and what it brings
    forward (a resumed run keeps both)."""
    job = job_run_open(job=JOB, business_date=business_date)
    run = PurchaseSummaryRun.objects.filter(business_date=business_date).first()
    if run is None:
        finished = PurchaseSummaryRun.objects.filter(finished_at__isnull=False)
        run = PurchaseSummaryRun.objects.create(
            business_date=business_date,
            job_run=job,
            changes_since=timezone.now() - CHANGES_MARGIN,
            previous=None if full else finished.order_by("-business_date").first(),
        )
    return run


@contextmanager
def _failure_recorded(run: PurchaseSummaryRun) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        job_run_fail(JobRun(pk=run.job_run_id), error=f"{type(error).__name__}: {error}")
        raise


def _push(run: PurchaseSummaryRun, *, dispatch: Dispatch, redispatch: bool) -> None:
    job = JobRun.objects.get(pk=run.job_run_id)
    if job.status == JobStatus.FINISHED:
        return
    left = list(job_chunks_left(job, step=MEMBERS).values_list("pk", flat=True))
    if left:
        if redispatch:
            dispatch(left)
        return
    _finish(run, job)


def _finish(run: PurchaseSummaryRun, job: JobRun) -> None:
    """Close the run (the one caller that wins the advance), then vacuum the summary."""
    with transaction.atomic():
        if not job_run_advance(job, from_step=MEMBERS, to_step=FINISH):
            return
        rows = job.chunks.filter(step=MEMBERS).aggregate(rows=Sum("rows"))["rows"] or 0
        staged = PurchaseStage.objects.filter(run=run).count()
        stage_clear(run)
        PurchaseSummaryRun.objects.filter(pk=run.pk).update(rows=rows, finished_at=timezone.now())
        job_run_finish(
            job,
            detail={
                "full": run.full,
                "previous": run.previous and run.previous.business_date.isoformat(),
                "members_rewritten": None if run.full else staged,
                "rows": rows,
            },
        )
    sql.table_vacuum(MemberPurchase._meta.db_table)
