"""A batch's issuing as a chunked job (INV-JOB-RERUN), built on `jobs.services`.

One JobRun per batch (job "coupons.issue", subject the batch id, business date the local day the
batch was created) and one chunk per member-id range of the batch's targets. The coordinator
(`batch_issue`) plans the chunks once and dispatches them; each chunk (`batch_chunk_run`) issues
set-based (coupons.services.issuing_chunk) and, when it is the last, the one caller that wins the
advance finishes the batch and writes its audit row.

A re-delivered coordinator or chunk resumes: finished chunks are skipped, the rest redone. A
finished batch run again with `rerun` (the hourly welcome pack, the daily birthday run) starts a
fresh pass over its targets: the unique (batch, member) row means nobody gets a second coupon, and
the members who became targets since get theirs.
"""

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from jobs.models import JobChunk, JobRun, JobStatus
from jobs.services import (
    id_ranges,
    job_chunk_execute,
    job_chunks_left,
    job_run_advance,
    job_run_fail,
    job_run_finish,
    job_run_open,
    job_run_plan,
    job_run_restart,
)
from members.audit import audit_record
from members.errors import RuleViolation

from ..models import BatchSource, BatchStatus, IssueBatch
from .issuing_chunk import chunk_issue
from .issuing_targets import batch_targets

JOB = "coupons.issue"
ISSUE, FINISH = "issue", "finish"
# Member ids per chunk: 50,000 coupons are one INSERT of a second or two.
CHUNK_SIZE = 50_000

Dispatch = Callable[[list[int]], None]


def batch_business_date(batch: IssueBatch) -> datetime.date:
    return timezone.localdate(batch.created_at)


def batch_job_run(batch: IssueBatch) -> JobRun | None:
    return JobRun.objects.filter(
        job=JOB, subject=str(batch.pk), business_date=batch_business_date(batch)
    ).first()


def batch_issue(
    *,
    batch: IssueBatch,
    rerun: bool = False,
    chunk_size: int = CHUNK_SIZE,
    dispatch: Dispatch | None = None,
) -> IssueBatch:
    """Run the batch's issuing job, or resume it. A finished batch is left as it is unless
    `rerun`, which issues to the members who have become targets since (never twice)."""
    with _failure_recorded(batch.pk):
        run = _run_start(batch, rerun=rerun, chunk_size=chunk_size)
        if run is not None:
            _push(batch.pk, run, dispatch=dispatch or run_inline, redispatch=True)
    batch.refresh_from_db()
    return batch


def batch_chunk_run(*, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    """Run one chunk (skipped when already finished, or gone with a restarted run), then
    finish the batch if it was the last. Returns whether the chunk did its work now."""
    chunk = JobChunk.objects.select_related("run").filter(pk=chunk_id, run__job=JOB).first()
    if chunk is None:
        return False
    run = chunk.run
    batch_id = int(run.subject)
    with _failure_recorded(batch_id):
        done = job_chunk_execute(chunk_id, lambda locked: _chunk_work(batch_id, run, locked))
        _push(batch_id, run, dispatch=dispatch or run_inline, redispatch=False)
    return done


def run_inline(chunk_ids: list[int]) -> None:
    """Dispatch in-process, one chunk after another (the demo, the benchmark, tests)."""
    for chunk_id in chunk_ids:
        batch_chunk_run(chunk_id=chunk_id, dispatch=run_inline)


# --- Starting -----------------------------------------------------------------------------------


def _run_start(batch: IssueBatch, *, rerun: bool, chunk_size: int) -> JobRun | None:
    """The run to work on, planned; None when there is nothing to do.

    Under the run's and then the batch's row lock (the order every path takes them: a chunk
    locks its run first, the finish advances the run before it locks the batch), so two
    coordinators never both plan or restart a run.
    """
    if batch.source == BatchSource.SINGLE:
        return None
    business_date = batch_business_date(batch)
    subject = str(batch.pk)
    JobRun.objects.get_or_create(job=JOB, subject=subject, business_date=business_date)
    with transaction.atomic():
        JobRun.objects.select_for_update().get(
            job=JOB, subject=subject, business_date=business_date
        )
        locked = IssueBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == BatchStatus.FINISHED and not rerun:
            return None
        run = job_run_open(job=JOB, subject=subject, business_date=business_date)
        # A queued batch never started: a run already there is another batch's that had this id
        # (SQLite reuses the ids of deleted rows).
        if run.status == JobStatus.FINISHED or (locked.status == BatchStatus.QUEUED and run.step):
            run = job_run_restart(run)
        if not run.step:
            _plan(locked, run, business_date, chunk_size)
        IssueBatch.objects.filter(pk=locked.pk).update(
            status=BatchStatus.RUNNING, started_at=locked.started_at or timezone.now(), error=""
        )
    return run


def _plan(batch: IssueBatch, run: JobRun, business_date: datetime.date, chunk_size: int):
    """A fresh pass over the targets: chunks over their id ranges; the skipped counts start
    again (they describe the latest pass), the issued count carries on."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    targets = batch_targets(batch, today=business_date)
    job_run_plan(run, step=ISSUE, ranges=id_ranges(targets, chunk_size))
    IssueBatch.objects.filter(pk=batch.pk).update(target_count=targets.count(), skipped={})


@contextmanager
def _failure_recorded(batch_id: int) -> Iterator[None]:
    """A failure marks the batch (and its run) failed, with the error, and is raised on: the
    task's retry, or running the batch again, resumes it."""
    try:
        yield
    except Exception as error:
        text = str(error.message) if isinstance(error, RuleViolation) else repr(error)
        for run in JobRun.objects.filter(job=JOB, subject=str(batch_id)):
            job_run_fail(run, error=text)
        IssueBatch.objects.filter(pk=batch_id).exclude(status=BatchStatus.FINISHED).update(
            status=BatchStatus.FAILED, error=text[:2000]
        )
        raise


# --- Chunks and the end -------------------------------------------------------------------------


def _chunk_work(batch_id: int, run: JobRun, chunk: JobChunk) -> int:
    # The run's lock first, as the coordinator takes it before the batch's: one lock order.
    # (Chunks of one batch serialise anyway, on the template's quota lock.)
    JobRun.objects.select_for_update().get(pk=run.pk)
    batch = IssueBatch.objects.get(pk=batch_id)
    return chunk_issue(batch, lo=chunk.lo, hi=chunk.hi, business_date=run.business_date)


def _push(batch_id: int, run: JobRun, *, dispatch: Dispatch, redispatch: bool) -> None:
    """Dispatch the unfinished chunks (when `redispatch`), or finish when none is left."""
    job = JobRun.objects.get(pk=run.pk)
    if job.status == JobStatus.FINISHED:
        return
    left = list(job_chunks_left(job, step=ISSUE).values_list("pk", flat=True))
    if left:
        if redispatch:
            dispatch(left)
        return
    _finish(batch_id, job)


@transaction.atomic
def _finish(batch_id: int, job: JobRun) -> bool:
    if not job_run_advance(job, from_step=ISSUE, to_step=FINISH):
        return False
    batch = IssueBatch.objects.select_for_update().get(pk=batch_id)
    first_pass = batch.finished_at is None  # a re-run keeps the previous pass's finish time
    issued_now = job.chunks.aggregate(n=Coalesce(Sum("rows"), 0))["n"]
    batch.status, batch.finished_at, batch.error = BatchStatus.FINISHED, timezone.now(), ""
    batch.save(update_fields=["status", "finished_at", "error", "updated_at"])
    detail = {
        "target": batch.target_count,
        "issued": issued_now,
        "issued_total": batch.issued_count,
        "skipped": batch.skipped,
    }
    if first_pass or issued_now:
        # INV-AUDIT: coupons are born "issued"; the batch run records their issuing.
        audit_record(
            actor=batch.created_by,
            obj=batch,
            event="coupon_batch_issued",
            changes={"issued_count": [batch.issued_count - issued_now, batch.issued_count]},
            **detail,
        )
    job_run_finish(job, detail=detail)
    return True
