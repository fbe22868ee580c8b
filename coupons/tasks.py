"""Celery adapters for the coupons app: ids and dates in, one service call each."""

import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .models import IssueBatch
from .services.issuing_job import batch_chunk_run, batch_issue
from .services.issuing_occasions import birthday_coupons_issue, welcome_pack_issue

# --- Issuing (发券) ------------------------------------------------------------------------------
# A batch is a coordinator (`coupons.issue_batch`) that plans chunks over member-id ranges and
# enqueues `coupons.issue_chunk` for each; the last chunk finishes the batch, so no chord is
# needed. Re-delivering either task resumes the batch and never issues twice (INV-JOB-RERUN), so
# a lost connection or a deadlock victim is simply retried.
TRANSIENT = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "max_retries": 3,
}


def enqueue_issue_chunks(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        issue_chunk.delay_on_commit(chunk_id)


@shared_task(name="coupons.issue_batch", **TRANSIENT)
def issue_batch(batch_id: int, rerun: bool = False) -> int | None:
    batch = IssueBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return None
    return batch_issue(batch=batch, rerun=rerun, dispatch=enqueue_issue_chunks).issued_count


@shared_task(name="coupons.issue_chunk", **TRANSIENT)
def issue_chunk(chunk_id: int) -> bool:
    return batch_chunk_run(chunk_id=chunk_id, dispatch=enqueue_issue_chunks)


@shared_task(name="coupons.welcome_pack_issue")
def welcome_pack_issue_task(joined_on: str) -> list[int]:
    day = datetime.date.fromisoformat(joined_on)
    batches = welcome_pack_issue(joined_on=day, dispatch=enqueue_issue_chunks)
    return [batch.pk for batch in batches]


@shared_task(name="coupons.welcome_pack_hourly")
def welcome_pack_hourly() -> None:
    """Hourly (beat, :10): today's new members get their welcome pack within the hour; yesterday
    again for members imported late. Idempotent: each day's batch is keyed and re-run."""
    today = timezone.localdate()
    for day in (today - datetime.timedelta(days=1), today):
        welcome_pack_issue_task.delay(day.isoformat())


@shared_task(name="coupons.birthday_coupons_daily")
def birthday_coupons_daily() -> int | None:
    """Daily (beat, 06:00): this month's birthday coupons; the daily re-run picks up members
    who joined since. Idempotent: the month's batch is keyed."""
    batch = birthday_coupons_issue(month=timezone.localdate(), dispatch=enqueue_issue_chunks)
    return batch.pk if batch else None
