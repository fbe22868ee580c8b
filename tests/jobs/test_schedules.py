"""The nightly schedules are data (jobs/0002), and each names a task a worker actually has."""

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
    } <= scheduled
    assert scheduled <= set(app.tasks)
