"""Celery adapters for the members app: dates and ids in, one service call each.

The regroup is a coordinator (`members.regroup_start`, or `members.regroup_nightly` for
yesterday) that plans chunks and enqueues `members.regroup_chunk` for each; every chunk task
advances the run itself when it is the last of its step, so no chord is needed. Re-running the
coordinator for a date resumes it (INV-JOB-RERUN).
"""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from .errors import RuleViolation
from .rfm import rfm_chunk_run, rfm_regroup

logger = logging.getLogger(__name__)


def enqueue_chunks(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        regroup_chunk.delay_on_commit(chunk_id)


@shared_task(name="members.regroup_nightly")
def regroup_nightly() -> None:
    """Nightly (jobs migration 0002, 02:00): regroup as of yesterday, local time."""
    _regroup(timezone.localdate() - datetime.timedelta(days=1))


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
