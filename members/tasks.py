"""Celery adapters for the members app: dates and ids in, one service call each.

The regroup is a coordinator (`members.regroup_start`, or `members.regroup_nightly` for
yesterday) that plans chunks and enqueues `members.regroup_chunk` for each; every chunk task
advances the run itself when it is the last of its step, so no chord is needed. Re-running the
coordinator for a date resumes it (INV-JOB-RERUN).
"""

import datetime
import logging

from celery import shared_task

from jobs.dates import nightly_business_date

from .errors import RuleViolation
from .imports.runs import import_run_execute
from .models import RfmRun, Segment, Tag
from .purchases import purchase_chunk_run, purchase_summary_refresh
from .rfm import rfm_chunk_run, rfm_regroup
from .segments.materialise import segment_materialise, tag_rule_recompute

logger = logging.getLogger(__name__)


def enqueue_chunks(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        regroup_chunk.delay_on_commit(chunk_id)


@shared_task(name="members.regroup_nightly")
def regroup_nightly() -> None:
    """Nightly (jobs migration 0002, 02:00): regroup as of yesterday, local time."""
    _regroup(nightly_business_date())


@shared_task(name="members.regroup_start")
def regroup_start(business_date_iso: str) -> None:
    _regroup(datetime.date.fromisoformat(business_date_iso))


@shared_task(name="members.regroup_chunk")
def regroup_chunk(chunk_id: int) -> None:
    rfm_chunk_run(chunk_id=chunk_id, dispatch=enqueue_chunks)


def _regroup(business_date: datetime.date) -> None:
    try:
        rfm_regroup(business_date=business_date, dispatch=enqueue_chunks)
    except RuleViolation as refusal:
        # A refused date (a later run exists) is an operator's matter, not a retry.
        logger.warning("RFM regroup for %s refused: %s", business_date, refusal.message)


# --- Segments and rule tags (分组, 规则标签) ---------------------------------------------------

# The nightly segment job reads MemberRfm, so it waits for that night's regroup: when the RFM run
# of the business date has not finished yet it retries every 15 minutes, at most 16 times (four
# hours), then gives up and is logged as failed (yesterday's segments stay as they were).
SEGMENTS_RETRY_SECONDS = 15 * 60
SEGMENTS_MAX_RETRIES = 16


@shared_task(
    name="members.segments_materialise_nightly",
    bind=True,
    max_retries=SEGMENTS_MAX_RETRIES,
    default_retry_delay=SEGMENTS_RETRY_SECONDS,
)
def segments_materialise_nightly(self):
    """For D = yesterday (local): every active segment and every rule tag, one task each."""
    business_date = nightly_business_date()
    regrouped = RfmRun.objects.finished(business_date=business_date)
    if not regrouped.exists():
        raise self.retry(countdown=SEGMENTS_RETRY_SECONDS)
    day = business_date.isoformat()
    for segment_id in Segment.objects.filter(active=True).values_list("pk", flat=True):
        segment_materialise_task.delay(segment_id, day)
    for tag_id in Tag.objects.by_rule().values_list("pk", flat=True):
        rule_tag_recompute_task.delay(tag_id, day)
    return day


@shared_task(name="members.segment_materialise")
def segment_materialise_task(segment_id: int, business_date: str, on_demand: bool = False):
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        return None
    day = datetime.date.fromisoformat(business_date)
    run = segment_materialise(segment=segment, business_date=day, on_demand=on_demand)
    return run.pk if run else None


@shared_task(name="members.rule_tag_recompute")
def rule_tag_recompute_task(tag_id: int, business_date: str):
    tag = Tag.objects.filter(pk=tag_id).select_related("rule_segment").first()
    if tag is None:
        return None
    run = tag_rule_recompute(tag=tag, business_date=datetime.date.fromisoformat(business_date))
    return run.pk if run else None


# --- Purchase summary (购买汇总) -----------------------------------------------------------------


def enqueue_purchase_chunks(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        purchase_summary_chunk.delay_on_commit(chunk_id)


@shared_task(name="members.purchase_summary_nightly")
def purchase_summary_nightly() -> None:
    """Nightly: the purchase summary as of yesterday, local time (bought-within-N-days rules)."""
    _purchase_summary(nightly_business_date())


@shared_task(name="members.purchase_summary_start")
def purchase_summary_start(business_date_iso: str) -> None:
    _purchase_summary(datetime.date.fromisoformat(business_date_iso))


@shared_task(name="members.purchase_summary_chunk")
def purchase_summary_chunk(chunk_id: int) -> None:
    purchase_chunk_run(chunk_id=chunk_id, dispatch=enqueue_purchase_chunks)


def _purchase_summary(business_date: datetime.date) -> None:
    try:
        purchase_summary_refresh(business_date=business_date, dispatch=enqueue_purchase_chunks)
    except RuleViolation as refusal:
        logger.warning("Purchase summary for %s refused: %s", business_date, refusal.message)


# --- Imports (the HQ admin upload) --------------------------------------------------------------

# One task per uploaded file: the rows must be read in order (a repeated order number is refused
# at its second occurrence), so the file is not split across tasks; each chunk commits on its own
# with the run's progress. A million order rows took 3 minutes set-based on Postgres (bench/, on a
# busy 2-core machine), so the limits are wider than the default four minutes, and still under
# the broker's visibility timeout (an hour), past which an unacknowledged task is delivered twice.
IMPORT_SOFT_TIME_LIMIT = 25 * 60
IMPORT_TIME_LIMIT = 30 * 60


@shared_task(
    name="members.import_run",
    soft_time_limit=IMPORT_SOFT_TIME_LIMIT,
    time_limit=IMPORT_TIME_LIMIT,
)
def import_run_task(run_id: int) -> None:
    import_run_execute(run_id=run_id)
