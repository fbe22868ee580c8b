"""The nightly schedules are data (jobs/0002-0004), and each names a task a worker has."""

import pytest
from django_celery_beat.models import PeriodicTask

from config.celery import app


@pytest.mark.django_db
def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))

    assert {
        "members.regroup_nightly",
        "members.segments_materialise_nightly",
        "pos.purge_idempotent_requests",
        "coupons.expire_nightly",
        "coupons.welcome_pack_hourly",
        "coupons.birthday_coupons_daily",
        "coupons.remind_nightly",
        "messaging.outbox_send",
        "members.purchase_summary_nightly",
        "callbacks.convert_nightly",
        "callbacks.lifecycle_nightly",
        "callbacks.remind_overdue_daily",
    } <= scheduled
    assert scheduled <= set(app.tasks)
