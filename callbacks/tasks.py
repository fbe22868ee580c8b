"""Celery adapters for callbacks: ids and dates in, one service call each. Each job is a
coordinator plus chunk tasks on jobs.sweeps; re-delivery resumes and never writes twice."""

import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError

from jobs.dates import nightly_business_date

from .models import CallbackPlan
from .services.conversion import conversion_chunk_run, conversions_check
from .services.generation import plan_chunk_run, plan_tasks_generate

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
    """Nightly (beat, 02:45, after the night's orders are in): the 60-day conversions of every
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
