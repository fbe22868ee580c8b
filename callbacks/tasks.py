"""Celery adapters for callbacks: ids and dates in, one service call each. Each job is a
coordinator plus chunk tasks on jobs.sweeps; re-delivery resumes and never writes twice."""

import datetime
import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from jobs.dates import nightly_business_date
from members.errors import RuleViolation
from members.models import RfmRun

from .models import CallbackPlan
from .services.conversion import conversion_chunk_run, conversions_check
from .services.generation import plan_chunk_run, plan_tasks_generate
from .services.lifecycle import lifecycle_chunk_run, lifecycle_rules_run
from .services.reminders import overdue_chunk_run, overdue_reminders_enqueue

logger = logging.getLogger(__name__)

TRANSIENT = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "max_retries": 3,
}


def enqueue_generation_chunks(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        generate_chunk.delay_on_commit(chunk_id)


@shared_task(name="callbacks.generate_plan", **TRANSIENT)
def generate_plan_tasks(plan_id: int) -> int | None:
    plan = CallbackPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        return None
    plan_tasks_generate(plan=plan, dispatch=enqueue_generation_chunks)
    plan.refresh_from_db()
    return plan.task_count


@shared_task(name="callbacks.generate_chunk", **TRANSIENT)
def generate_chunk(chunk_id: int) -> bool:
    return plan_chunk_run(chunk_id=chunk_id, dispatch=enqueue_generation_chunks)


def enqueue_conversion_chunks(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        conversion_chunk.delay_on_commit(chunk_id)


@shared_task(name="callbacks.convert_nightly")
def convert_nightly() -> None:
    """Nightly (beat, 02:45, jobs migration 0004): the 60-day conversions of every
    member with a callback window open lately, settled again."""
    conversions_check(business_date=nightly_business_date(), dispatch=enqueue_conversion_chunks)


@shared_task(name="callbacks.convert_start")
def convert_start(business_date_iso: str) -> None:
    conversions_check(
        business_date=datetime.date.fromisoformat(business_date_iso),
        dispatch=enqueue_conversion_chunks,
    )


@shared_task(name="callbacks.convert_chunk", **TRANSIENT)
def conversion_chunk(chunk_id: int) -> bool:
    return conversion_chunk_run(chunk_id=chunk_id, dispatch=enqueue_conversion_chunks)


# --- Overdue reminders --------------------------------------------------------------------------


def enqueue_overdue_chunks(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        overdue_chunk.delay_on_commit(chunk_id)


@shared_task(name="callbacks.remind_overdue_daily")
def remind_overdue_daily() -> None:
    """Each morning (beat, 08:30): one reminder per guide with overdue tasks, into the outbox."""
    overdue_reminders_enqueue(on=timezone.localdate(), dispatch=enqueue_overdue_chunks)


@shared_task(name="callbacks.overdue_chunk", **TRANSIENT)
def overdue_chunk(chunk_id: int) -> bool:
    return overdue_chunk_run(chunk_id=chunk_id, dispatch=enqueue_overdue_chunks)


# --- Lifecycle rules ----------------------------------------------------------------------------

# The rules read the members' RFM groups, so they wait for the night's regroup (as of yesterday):
# while it has not finished the task retries every 15 minutes, at most 16 times (four hours),
# then gives up and is logged as failed (nobody is approached on stale groups).
LIFECYCLE_RETRY_SECONDS = 15 * 60
LIFECYCLE_MAX_RETRIES = 16


def enqueue_lifecycle_chunks(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        lifecycle_chunk.delay_on_commit(chunk_id)


@shared_task(
    name="callbacks.lifecycle_nightly",
    bind=True,
    max_retries=LIFECYCLE_MAX_RETRIES,
    default_retry_delay=LIFECYCLE_RETRY_SECONDS,
)
def lifecycle_nightly(self) -> str | None:
    """Each morning (beat, 04:00) for today, once the regroup as of yesterday has finished."""
    on = timezone.localdate()
    regrouped = RfmRun.objects.finished(business_date=on - datetime.timedelta(days=1))
    if not regrouped.exists():
        raise self.retry(countdown=LIFECYCLE_RETRY_SECONDS)
    try:
        lifecycle_rules_run(on=on, dispatch=enqueue_lifecycle_chunks)
    except RuleViolation as refusal:
        # A broken SMS template is HQ's to fix, not a retry; the run records the reason.
        logger.warning("Lifecycle rules for %s refused: %s", on, refusal.message)
        return None
    return on.isoformat()


@shared_task(name="callbacks.lifecycle_chunk", **TRANSIENT)
def lifecycle_chunk(chunk_id: int) -> bool:
    return lifecycle_chunk_run(chunk_id=chunk_id, dispatch=enqueue_lifecycle_chunks)
