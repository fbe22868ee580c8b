"""Stored POS answers are purged after the retention period; re-running the purge is a no-op."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pos.models import IdempotentRequest
from pos.tasks import purge_idempotent_requests


def _answer(store, key, age_days):
    request = IdempotentRequest.objects.create(
        store=store, key=key, fingerprint="f" * 64, response_status=201, response_body={}
    )
    IdempotentRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=age_days)
    )
    return request


@pytest.mark.django_db
def test_purge_removes_only_answers_past_retention(store_a, store_b, settings):
    settings.POS_IDEMPOTENCY_RETENTION_DAYS = 30
    kept = [_answer(store_a, "recent", 29), _answer(store_b, "recent", 1)]
    _answer(store_a, "old", 31)
    _answer(store_b, "old", 400)

    assert purge_idempotent_requests() == 2

    assert set(IdempotentRequest.objects.values_list("pk", flat=True)) == {r.pk for r in kept}
    assert purge_idempotent_requests() == 0


@pytest.mark.django_db
def test_purge_works_in_batches(store_a, monkeypatch):
    monkeypatch.setattr("pos.services.PURGE_BATCH", 2)
    for n in range(5):
        _answer(store_a, f"old-{n}", 60)

    assert purge_idempotent_requests() == 5
    assert not IdempotentRequest.objects.exists()
