"""Celery adapters for the POS app."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .services import idempotent_requests_purge


@shared_task(name="pos.purge_idempotent_requests")
def purge_idempotent_requests() -> int:
    cutoff = timezone.now() - timedelta(days=settings.POS_IDEMPOTENCY_RETENTION_DAYS)
    return idempotent_requests_purge(before=cutoff)
