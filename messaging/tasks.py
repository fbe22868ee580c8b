"""Celery adapters for the outbox."""

from celery import shared_task
from django.conf import settings

from .services import outbox_send_due


@shared_task(name="messaging.outbox_send")
def outbox_send() -> dict:
    """Every few minutes: deliver the due messages (marketing ones only in the daytime)."""
    return outbox_send_due(limit=settings.OUTBOX_SEND_LIMIT)
