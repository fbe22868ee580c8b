"""A one-step chunked job over id ranges, on the jobs primitives (INV-JOB-RERUN).

The coupon expiry, the coupon reminders and the callback task generation are each a `Sweep`:
one JobRun per (job, subject, date) (subject "" for a brand-wide night, a plan's id for a job
about one object), one chunk per id range, and per chunk one transaction holding the set-based
work and the chunk's `finished` mark. The coordinator plans the chunks once and dispatches those
left; each chunk, when it finds no chunk left, races for `job_run_advance` and the one winner
closes the run. So a re-run of a finished date writes nothing, and a run killed anywhere, run
again, ends as a clean run would. `dispatch` sends chunk ids to be run: Celery tasks
(coupons.tasks, callbacks.tasks) or in-process.
"""

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from jobs.models import JobRun, JobStatus
from jobs.services import (
    job_chunk_execute,
    job_chunks_left,
    job_run_advance,
    job_run_fail,
    job_run_finish,
    job_run_open,
    job_run_plan,
)

SWEEP, FINISH = "sweep", "finish"

Dispatch = Callable[[list[int]], None]


@dataclass(frozen=True)
class Sweep:
    job: str
    # The id ranges a run covers (it carries the date and subject), for a chunk size: planned
    # once per run.
    ranges: Callable[[JobRun, int], list[tuple[int, int]]]
    # The set-based work of one range [lo, hi) of the run; returns the rows it wrote.
    work: Callable[[JobRun, int, int], int]


def sweep_start(
    sweep: Sweep,
    *,
    business_date: datetime.date,
    chunk_size: int,
    dispatch: Dispatch | None,
    subject: str = "",
) -> JobRun:
    """Open (or resume) the run of (date, subject), plan it once, dispatch the chunks left."""
    run = job_run_open(job=sweep.job, business_date=business_date, subject=subject)
    if run.status == JobStatus.FINISHED:
        return run
    with _failure_recorded(run):
        if not run.step:
            job_run_plan(run, step=SWEEP, ranges=sweep.ranges(run, chunk_size))
        _push(sweep, run, dispatch=_inline(sweep, dispatch), redispatch=True)
    run.refresh_from_db()
    return run


def sweep_chunk_run(sweep: Sweep, *, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    """Run one chunk (a no-op when it is finished), then close the run if none is left."""
    run = JobRun.objects.get(chunks=chunk_id)
    with _failure_recorded(run):
        done = job_chunk_execute(chunk_id, lambda chunk: sweep.work(run, chunk.lo, chunk.hi))
        _push(sweep, run, dispatch=_inline(sweep, dispatch), redispatch=False)
    return done


def _inline(sweep: Sweep, dispatch: Dispatch | None) -> Dispatch:
    """The given dispatch, or one that runs the chunks in-process, one after another."""
    if dispatch is not None:
        return dispatch

    def run_inline(chunk_ids: list[int]) -> None:
        for chunk_id in chunk_ids:
            sweep_chunk_run(sweep, chunk_id=chunk_id, dispatch=run_inline)

    return run_inline


def _push(sweep: Sweep, run: JobRun, *, dispatch: Dispatch, redispatch: bool) -> None:
    run.refresh_from_db()
    if run.status == JobStatus.FINISHED:
        return
    left = list(job_chunks_left(run, step=SWEEP).values_list("pk", flat=True))
    if left:
        if redispatch:
            dispatch(left)
        return
    with transaction.atomic():
        if job_run_advance(run, from_step=SWEEP, to_step=FINISH):
            rows = run.chunks.aggregate(total=Sum("rows"))["total"] or 0
            job_run_finish(run, detail={"rows": rows})


@contextmanager
def _failure_recorded(run: JobRun) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        job_run_fail(run, error=f"{type(error).__name__}: {error}")
        raise
