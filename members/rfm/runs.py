"""The nightly regroup as a chunked job (INV-JOB-RERUN), built on `jobs.services`.

1. The run opens: its settings and base are copied, its own MemberRfm table is created
   (`next_table`) and its provisional thresholds are taken (the base's, or a sample's).
2. `measure`: each chunk measures its members' figures (every member's, or, in a run from a
   base, those whose figures may have changed, the others keeping the base's) and writes every
   member of its range to the run's table with a provisional group, with the group changes
   since the last finished run and its group sizes per store kept on its chunk record
   (members.rfm.measure).
3. `prepare`, three chunks: the thresholds over the run's table, stored on the run, the groups
   settled (members.rfm.groups) and the group counts (RfmGroupCount) added up from the measure
   chunks' and the settle's; the table's primary key; its planner statistics.
4. When all are done, one caller wins the advance to `finish`: the run's totals, the table
   swapped in, the job run finished.

A chunk's writes commit with its `finished` mark and the finish commits as one, so a run killed
anywhere and re-run ends as a clean run would. `dispatch` sends chunk ids to be run: in-process
(`run_inline`) or as Celery tasks (members.tasks).
"""

import datetime
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import IntegerField, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import JobChunk, JobRun, JobStatus
from jobs.services import (
    ChunkDone,
    id_ranges,
    job_chunk_execute,
    job_chunks_left,
    job_chunks_plan,
    job_run_advance,
    job_run_fail,
    job_run_finish,
    job_run_open,
    job_run_plan,
)
from members.errors import RuleViolation
from members.models import (
    Member,
    MemberRfm,
    RfmGroupChange,
    RfmGroupCount,
    RfmRun,
    RfmSettings,
    ThresholdMethod,
)

from . import sql
from .contract import Thresholds
from .groups import group_counts_write, settle, settled_drop
from .measure import CHANGE_LOG, dates_log, measure_chunk
from .next_table import (
    STORE_LOG,
    next_table_create,
    next_table_drop,
    next_table_key,
    next_table_name,
    next_table_swap,
)
from .thresholds import provisional_thresholds, run_thresholds, thresholds_compute

JOB = "members.rfm_regroup"
MEASURE, PREPARE, FINISH = "measure", "prepare", "finish"
# The prepare step's three chunks (as (lo, hi): a chunk is a range), dispatched in this order:
# the thresholds over the run's table, the settle and the group counts; the table's primary
# key; its planner statistics. Two workers run the first beside the other two, one after the
# other. The settle's update and the key's build wait for one another (their locks conflict),
# the statistics wait for the key; the thresholds' sorts take longer than the build, so the
# settle seldom waits. At 1M members, two workers, the settle and the counts took 0.11-0.12 s
# and 0.09-0.10 s of every run in the finish; with the key, the statistics and the counts in one
# chunk beside the thresholds and the settle, prepare took 0.63-0.65 s, as three chunks
# 0.51-0.54 s (bench/regroup.py).
THRESHOLDS_PART, KEY_PART, STATISTICS_PART = (0, 1), (1, 2), (2, 3)
# Member ids per chunk unless the caller says otherwise (settings.RFM_CHUNK_SIZE).
DEFAULT_CHUNK_SIZE = 100_000

Dispatch = Callable[[list[int]], None]


def rfm_regroup(
    *,
    business_date: datetime.date,
    chunk_size: int | None = None,
    dispatch: Dispatch | None = None,
    anew: bool = False,
) -> RfmRun:
    """Regroup every member as of `business_date`, or resume that date's unfinished run.

    A finished date is returned as it is, without a write. A date before the latest run's, or
    after today, is refused. `chunk_size` (member ids per chunk) applies when a run is planned;
    `anew` measures every member anew instead of building on the last run (when the run opens).
    """
    finished = RfmRun.objects.finished(business_date=business_date)
    if run := finished.first():
        return run
    _check_date(business_date)
    chunk_size = chunk_size or getattr(settings, "RFM_CHUNK_SIZE", DEFAULT_CHUNK_SIZE)
    if chunk_size < 1:
        raise RuleViolation("rfm_chunk_size", _("分片大小必须为正整数。"))
    run = _run_open(business_date, anew=anew)
    with _failure_recorded(run):
        _measure_plan(run, chunk_size)
        _push(run, dispatch=dispatch or run_inline, redispatch=True)
    run.refresh_from_db()
    return run


def rfm_chunk_run(*, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    """Run one chunk (skipped when already finished), then advance the run if it was the last
    of its step. Returns whether the chunk did its work now."""
    run = RfmRun.objects.select_related("base", "job_run").get(job_run__chunks=chunk_id)
    with _failure_recorded(run):
        done = job_chunk_execute(chunk_id, lambda chunk: _chunk_work(run, chunk))
        _push(run, dispatch=dispatch or run_inline, redispatch=False)
    return done


def run_inline(chunk_ids: list[int]) -> None:
    """Dispatch in-process, one chunk after another (the command, the demo, the benchmark)."""
    for chunk_id in chunk_ids:
        rfm_chunk_run(chunk_id=chunk_id, dispatch=run_inline)


# --- Opening and checks -------------------------------------------------------------------------


def _check_date(business_date: datetime.date) -> None:
    if business_date > timezone.localdate():
        raise RuleViolation(
            "rfm_date_in_future",
            _("统计日期 %(date)s 晚于今天，不能分群。") % {"date": business_date},
        )
    later = RfmRun.objects.filter(business_date__gt=business_date).order_by("-business_date")
    if latest := later.first():
        raise RuleViolation(
            "rfm_date_not_monotone",
            _("已有 %(later)s 的分群，不能再按更早的日期 %(date)s 分群。")
            % {"later": latest.business_date, "date": business_date},
        )


@transaction.atomic
def _run_open(business_date: datetime.date, *, anew: bool) -> RfmRun:
    """The date's RfmRun with today's settings and its base copied on first open (a resumed run
    keeps them)."""
    sql.regroup_lock(shared=False)
    job = job_run_open(job=JOB, business_date=business_date)
    run = RfmRun.objects.filter(business_date=business_date).first()
    if run is None:
        _abandoned_clear(business_date)
        run = RfmRun(business_date=business_date, job_run=job, **_settings_copy())
        run.base = None if anew else _base_for(run)
        run.save()
        if run.base_id:
            dates_log(run)
        next_table_create(run)
        provisional = provisional_thresholds(run)
        job.detail = {"provisional": _texts(provisional)}
        job.save(update_fields=["detail"])
    return run


def _abandoned_clear(business_date: datetime.date) -> None:
    """At a later date's opening, the runs left unfinished before it are abandoned: they can no
    longer be resumed (`_check_date`) and do no more work (`_superseded_check`). Their group
    changes go, which the migration matrix would otherwise read between two finished runs'
    dates, their group counts, and their own MemberRfm tables; their job runs are marked failed,
    saying which date took over (the records stay, for the admin's history)."""
    for run in RfmRun.objects.filter(finished_at__isnull=True, business_date__lt=business_date):
        RfmGroupChange.objects.filter(business_date=run.business_date).delete()
        RfmGroupCount.objects.filter(run=run).delete()
        next_table_drop(run)
        abandoned = _("%(later)s 的分群已开始，本次（%(date)s）分群不再继续。")
        error = abandoned % {"later": business_date, "date": run.business_date}
        job_run_fail(JobRun(pk=run.job_run_id), error=error)


def _provisional(job: JobRun) -> Thresholds:
    """The run's provisional thresholds, as its opening stored them on its job run."""
    stored = job.detail.get("provisional", {})
    return Thresholds(**{axis: _decimal(stored.get(axis)) for axis in "rfm"})


def _base_for(run: RfmRun) -> RfmRun | None:
    """The run `run` can build on: the last finished run, when it was measured with the order
    change log, over the same window, and is the live MemberRfm, and no run after it is left
    unfinished (its chunks took change-log rows this run would need). None: measure every
    member anew."""
    base = RfmRun.objects.finished().filter(business_date__lt=run.business_date).first()
    if base is None or not base.change_logged or base.window_days != run.window_days:
        return None
    unfinished = RfmRun.objects.filter(
        finished_at__isnull=True, business_date__gt=base.business_date
    )
    if unfinished.exclude(pk=run.pk).exists():
        return None
    return base if _live_as_of() == base.business_date else None


def _superseded_check(run: RfmRun) -> None:
    """A run not finished when a later date's run opens is left unfinished (it cannot be
    resumed: `_check_date`, and its records are cleared: `_abandoned_clear`): each of its
    chunks, and its finish, stops here first, so that it takes no more change-log rows and
    never swaps in a table after the later run has begun from the live one. The opening waits
    for the chunks and the finish in progress (`sql.regroup_lock`), and they for it."""
    sql.regroup_lock(shared=True)
    if RfmRun.objects.filter(business_date__gt=run.business_date).exists():
        raise RuleViolation(
            "rfm_superseded",
            _("已有晚于 %(date)s 的分群，本次分群不再继续。") % {"date": run.business_date},
        )


def _live_as_of() -> datetime.date | None:
    """The date of the live MemberRfm (the last swapped-in run's), None when it is empty."""
    row = MemberRfm.objects.values_list("as_of", flat=True)[:1]
    return row[0] if row else None


def _settings_copy() -> dict:
    current = RfmSettings.current()
    copy = {"window_days": current.window_days}
    for axis in "rfm":
        method = getattr(current, f"{axis}_method")
        copy[f"{axis}_method"] = method
        if method == ThresholdMethod.FIXED:
            copy[f"{axis}_threshold"] = getattr(current, f"{axis}_fixed")
    return copy


@contextmanager
def _failure_recorded(run: RfmRun) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        job_run_fail(JobRun(pk=run.job_run_id), error=f"{type(error).__name__}: {error}")
        raise


# --- Steps --------------------------------------------------------------------------------------


def _measure_plan(run: RfmRun, chunk_size: int) -> None:
    job_run_plan(JobRun(pk=run.job_run_id), step=MEASURE, ranges=member_ranges(chunk_size))


def member_ranges(chunk_size: int) -> list[tuple[int, int]]:
    """The member-id ranges a run covers: every member."""
    return id_ranges(Member.objects.all(), chunk_size)


def _chunk_work(run: RfmRun, chunk: JobChunk) -> ChunkDone:
    # Test-only pause inside the chunk's transaction (the real-worker kill test); 0 otherwise.
    if delay := getattr(settings, "RFM_CHUNK_DELAY_SECONDS", 0):
        time.sleep(delay)
    sql.job_statement_settings()
    _superseded_check(run)
    if chunk.step == PREPARE:
        prepare = {
            THRESHOLDS_PART: _thresholds_take,
            KEY_PART: _key_build,
            STATISTICS_PART: _statistics_take,
        }
        return prepare[(chunk.lo, chunk.hi)](run)
    return measure_chunk(
        run,
        lo=chunk.lo,
        hi=chunk.hi,
        provisional=_provisional(run.job_run),
        changes=_has_previous(run),
    )


def _thresholds_take(run: RfmRun) -> ChunkDone:
    """The run's thresholds and active members, over its table, stored on the run; then every
    member's group settled at them, and the run's group counts added up from the measure
    chunks' and the settle's moves. The members settled are the chunk's detail, for the
    finish."""
    thresholds, active = thresholds_compute(run, active=_measure_sum(run.job_run, "active"))
    RfmRun.objects.filter(pk=run.pk).update(
        r_threshold=thresholds.r,
        f_threshold=thresholds.f,
        m_threshold=thresholds.m,
        active_members=active,
    )
    # As stored: every method gives them at the field's 4 places (contract.threshold_round).
    provisional = _provisional(run.job_run)
    settled = settle(run, thresholds, provisional, changes=_has_previous(run))
    group_counts_write(run, step=MEASURE, settled=settled)
    settled_drop()
    return ChunkDone(rows=active, detail={"settled": settled})


def _key_build(run: RfmRun) -> ChunkDone:
    """The run's table's primary key."""
    next_table_key(run)
    return ChunkDone(rows=0, detail={})


def _statistics_take(run: RfmRun) -> ChunkDone:
    """The run's table's planner statistics (the settle changes a few groups at most; the
    previews read the table as soon as it is live)."""
    sql.table_analyze(next_table_name(run))
    return ChunkDone(rows=0, detail={})


def _has_previous(run: RfmRun) -> bool:
    """Whether a run before this one has finished: group changes are recorded against it (a
    first run changes no one's group; the migration matrix never reads its date's changes)."""
    return RfmRun.objects.finished().filter(business_date__lt=run.business_date).exists()


def _push(run: RfmRun, *, dispatch: Dispatch, redispatch: bool) -> None:
    """Move the run on: dispatch its step's unfinished chunks (when `redispatch`), or, when the
    step has none left, advance it; the winner of an advance dispatches the next step."""
    job = JobRun.objects.get(pk=run.job_run_id)
    if job.status == JobStatus.FINISHED:
        return
    left = list(job_chunks_left(job, step=job.step).values_list("pk", flat=True))
    if left:
        if redispatch:
            dispatch(left)
        return
    advance = {MEASURE: _prepare_begin, PREPARE: _finish}[job.step]
    if advance(run, job):
        _push(run, dispatch=dispatch, redispatch=True)


def _prepare_begin(run: RfmRun, job: JobRun) -> bool:
    with transaction.atomic():
        if not job_run_advance(job, from_step=MEASURE, to_step=PREPARE):
            return False
        job_chunks_plan(job, step=PREPARE, ranges=[THRESHOLDS_PART, KEY_PART, STATISTICS_PART])
    return True


def _finish(run: RfmRun, job: JobRun) -> bool:
    with transaction.atomic():
        if not job_run_advance(job, from_step=PREPARE, to_step=FINISH):
            return False
        sql.job_statement_settings()
        _superseded_check(run)
        run.refresh_from_db()
        measured, settled = _measure_sum(job, "measured"), _settled(job)
        # The chunks' counts, an entry per store a chunk, would otherwise pile up night after
        # night.
        job.chunks.update(detail={})
        groups = dict(
            RfmGroupCount.objects.filter(run=run)
            .values_list("group")
            .annotate(total=Sum("members"))
            .order_by("group")
        )
        members = sum(groups.values())
        RfmRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), members=members)
        next_table_swap(run)
        run.refresh_from_db()
        detail = {**_detail(run, groups), "measured": measured, "settled": settled}
        job_run_finish(job, detail={**detail, "provisional": job.detail.get("provisional")})
    # The change-log rows the chunks took, and the settled store changes, are dead rows:
    # vacuumed now (autovacuum may be off or behind), so that nobody scans them again.
    sql.table_vacuum(CHANGE_LOG)
    sql.table_vacuum(STORE_LOG)
    return True


def _measure_sum(job: JobRun, figure: str) -> int:
    """A figure of the measure chunks' details, added up in the database (the details also hold
    their group counts, thousands of entries each): `measured`, the members the run measured
    from their orders, or `active`, its active members."""
    value = Cast(KT(f"detail__{figure}"), IntegerField())
    return job.chunks.filter(step=MEASURE).aggregate(n=Sum(value))["n"] or 0


def _settled(job: JobRun) -> int:
    """The members the prepare step's settle gave another group than their provisional one."""
    chunk = job.chunks.get(step=PREPARE, lo=THRESHOLDS_PART[0])
    return chunk.detail.get("settled", 0)


def _detail(run: RfmRun, groups: dict[str, int]) -> dict:
    return {
        "thresholds": _texts(run_thresholds(run)),
        "window_days": run.window_days,
        "members": run.members,
        "active_members": run.active_members,
        "base": _text(run.base.business_date if run.base_id else None),
        "groups": groups,
    }


def _text(value) -> str | None:
    return None if value is None else str(value)


def _texts(thresholds: Thresholds) -> dict[str, str | None]:
    return {axis: _text(getattr(thresholds, axis)) for axis in "rfm"}


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
