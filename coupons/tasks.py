"""Celery adapters for the coupons app: ids and dates in, one service call each."""

import datetime
import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from jobs.dates import nightly_business_date
from members.errors import RuleViolation

from .models import IssueBatch
from .services.expiry import coupon_expire_chunk_run, coupons_expire
from .services.issuing_job import batch_chunk_run, batch_issue
from .services.issuing_occasions import birthday_coupons_issue, welcome_pack_issue
from .services.reminders import coupon_reminders_chunk_run, coupon_reminders_enqueue

logger = logging.getLogger(__name__)


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


# --- Expiry and reminders (coordinator + chunk tasks over id ranges, as members.tasks) --------


def expire_chunks_enqueue(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        expire_chunk.delay_on_commit(chunk_id)


def remind_chunks_enqueue(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        remind_chunk.delay_on_commit(chunk_id)


@shared_task(name="coupons.expire_nightly")
def expire_nightly() -> None:
    """Nightly, just after midnight: expire the coupons whose last day was yesterday."""
    _expire(nightly_business_date())


@shared_task(name="coupons.expire_start")
def expire_start(business_date_iso: str) -> None:
    _expire(datetime.date.fromisoformat(business_date_iso))


@shared_task(name="coupons.expire_chunk")
def expire_chunk(chunk_id: int) -> None:
    coupon_expire_chunk_run(chunk_id=chunk_id, dispatch=expire_chunks_enqueue)


@shared_task(name="coupons.remind_nightly")
def remind_nightly() -> None:
    """Each morning: today's expiry reminders into the outbox (the sender sends them)."""
    _remind(timezone.localdate())


@shared_task(name="coupons.remind_start")
def remind_start(on_iso: str) -> None:
    _remind(datetime.date.fromisoformat(on_iso))


@shared_task(name="coupons.remind_chunk")
def remind_chunk(chunk_id: int) -> None:
    coupon_reminders_chunk_run(chunk_id=chunk_id, dispatch=remind_chunks_enqueue)


def _expire(business_date: datetime.date) -> None:
    try:
        coupons_expire(business_date=business_date, dispatch=expire_chunks_enqueue)
    except RuleViolation as refusal:
        logger.warning("Coupon expiry for %s refused: %s", business_date, refusal.message)


def _remind(on: datetime.date) -> None:
    try:
        coupon_reminders_enqueue(on=on, dispatch=remind_chunks_enqueue)
    except RuleViolation as refusal:
        logger.warning("Coupon reminders for %s refused: %s", on, refusal.message)
