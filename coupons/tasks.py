"""Celery adapters for the coupons app: dates and ids in, one service call each."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from jobs.dates import nightly_business_date
from members.errors import RuleViolation

from .services.expiry import coupon_expire_chunk_run, coupons_expire
from .services.reminders import coupon_reminders_chunk_run, coupon_reminders_enqueue

logger = logging.getLogger(__name__)


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
