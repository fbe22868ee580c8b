"""The primitives every chunked nightly job is built from (INV-JOB-RERUN).

A job opens its run (`job_run_open`), plans chunks over primary-key ranges (`job_chunks_plan`),
and each chunk task calls `job_chunk_execute` with the set-based work for its range: the work and
the chunk's `finished` mark commit together, so a re-delivered or re-run chunk is skipped and a
chunk killed half-way leaves nothing behind. When a step's last chunk is done, exactly one caller
wins `job_run_advance` and starts the next step; `job_run_finish` closes the run.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max, Min, QuerySet
from django.utils import timezone

from .models import JobChunk, JobRun, JobStatus


def job_run_open(*, job: str, business_date: datetime.date, subject: str = "") -> JobRun:
    """The run for (job, subject, date), created on first call; marked running unless finished."""
    run, _ = JobRun.objects.get_or_create(job=job, subject=subject, business_date=business_date)
    if run.status != JobStatus.FINISHED:
        JobRun.objects.filter(pk=run.pk).exclude(status=JobStatus.FINISHED).update(
            status=JobStatus.RUNNING, started_at=run.started_at or timezone.now(), error=""
        )
        run.refresh_from_db()
    return run


def id_ranges(queryset: QuerySet, size: int) -> list[tuple[int, int]]:
    """Half-open [lo, hi) ranges of `size` primary keys covering the queryset's rows."""
    bounds = queryset.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return []
    return [(lo, lo + size) for lo in range(bounds["lo"], bounds["hi"] + 1, size)]


def job_chunks_plan(run: JobRun, *, step: str, ranges: Iterable[tuple[int, int]]) -> int:
    """Create the step's chunks (idempotent) and return how many the run has in all."""
    JobChunk.objects.bulk_create(
        [JobChunk(run=run, step=step, lo=lo, hi=hi) for lo, hi in ranges],
        ignore_conflicts=True,
        batch_size=1000,
    )
    total = run.chunks.count()
    JobRun.objects.filter(pk=run.pk).update(chunk_total=total)
    return total


def job_run_plan(run: JobRun, *, step: str, ranges: Iterable[tuple[int, int]]) -> None:
    """Plan the run's first step once and enter it; a row lock keeps a concurrent start from
    planning twice. A run already past planning is left as it is."""
    with transaction.atomic():
        if not JobRun.objects.select_for_update().get(pk=run.pk).step:
            job_chunks_plan(run, step=step, ranges=ranges)
            JobRun.objects.filter(pk=run.pk).update(step=step)
    run.refresh_from_db()


def job_run_restart(run: JobRun) -> JobRun:
    """Start a finished run afresh (an on-demand re-run of the same date): its chunks go, its
    step and counts reset. Nightly runs are never restarted (INV-JOB-RERUN)."""
    with transaction.atomic():
        JobChunk.objects.filter(run=run).delete()
        JobRun.objects.filter(pk=run.pk).update(
            status=JobStatus.RUNNING,
            step="",
            chunk_total=0,
            chunk_done=0,
            finished_at=None,
            started_at=timezone.now(),
            error="",
        )
    run.refresh_from_db()
    return run


def job_chunks_left(run: JobRun, *, step: str) -> QuerySet:
    return run.chunks.filter(step=step).exclude(status=JobStatus.FINISHED)


@dataclass(frozen=True)
class ChunkDone:
    """What a chunk's work returns when it hands a result on (kept as JobChunk.detail)."""

    rows: int
    detail: dict


def job_chunk_execute(chunk_id: int, work: Callable[[JobChunk], int | ChunkDone]) -> bool:
    """Run `work(chunk)` and mark the chunk finished in the same transaction.

    Returns False (and does nothing) when the chunk was already finished. `work` returns the
    number of rows it wrote, or a `ChunkDone` with a detail for the step's end to read. A row
    lock on the chunk alone keeps two workers off the same chunk; other chunks of the run go on
    in parallel (the run's counter is bumped at the very end). A job whose work locks rows the
    run's coordinator also locks takes the run's lock first, in `work`, to keep one lock order.
    """
    JobChunk.objects.filter(pk=chunk_id).exclude(status=JobStatus.FINISHED).update(
        attempts=F("attempts") + 1, status=JobStatus.RUNNING, started_at=timezone.now()
    )
    with transaction.atomic():
        chunk = JobChunk.objects.select_for_update(of=("self",)).get(pk=chunk_id)
        if chunk.status == JobStatus.FINISHED:
            return False
        done = work(chunk)
        if not isinstance(done, ChunkDone):
            done = ChunkDone(rows=done, detail={})
        JobChunk.objects.filter(pk=chunk.pk).update(
            status=JobStatus.FINISHED,
            rows=done.rows,
            detail=done.detail,
            finished_at=timezone.now(),
        )
        JobRun.objects.filter(pk=chunk.run_id).update(chunk_done=F("chunk_done") + 1)
    return True


def job_run_advance(run: JobRun, *, from_step: str, to_step: str) -> bool:
    """Move the run to its next step once `from_step` has no chunk left; one caller wins."""
    if job_chunks_left(run, step=from_step).exists():
        return False
    moved = JobRun.objects.filter(pk=run.pk, step=from_step).update(step=to_step)
    run.refresh_from_db()
    return moved == 1


def job_run_finish(run: JobRun, *, detail: dict | None = None) -> None:
    JobRun.objects.filter(pk=run.pk).update(
        status=JobStatus.FINISHED,
        detail=detail or {},
        finished_at=timezone.now(),
        error="",
    )
    run.refresh_from_db()


def job_run_fail(run: JobRun, *, error: str) -> None:
    JobRun.objects.filter(pk=run.pk).exclude(status=JobStatus.FINISHED).update(
        status=JobStatus.FAILED, error=error[:2000]
    )
