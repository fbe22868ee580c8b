"""The nightly schedules, as data HQ can see and edit in the admin (django_celery_beat).

Declared once, here (INVARIANTS: exactly one beat scheduler; schedules are data):

- 02:00 Asia/Shanghai, "会员RFM重新分群" -> members.regroup_nightly: regroups members as of
  yesterday, once the day's orders and refunds are in; a re-run for the same date changes
  nothing, so a missed or repeated beat is harmless.
- 03:30 Asia/Shanghai, "分组每晚计算" -> members.segments_materialise_nightly: materialises the
  segments after the regroup, since segment rules read the RFM groups and figures (the task
  waits and retries while that night's regroup has not finished).
- 04:30 Asia/Shanghai, "POS幂等记录清理" -> pos.purge_idempotent_requests: deletes stored POS
  answers older than POS_IDEMPOTENCY_RETENTION_DAYS, at the quietest hour for the tills.

Idempotent: each task is updated or created by its name, so re-applying keeps one row each.
"""

from django.db import migrations
from django.utils import timezone

TIME_ZONE = "Asia/Shanghai"
NIGHTLY = [
    {"name": "会员RFM重新分群", "task": "members.regroup_nightly", "hour": "2", "minute": "0"},
    {
        "name": "分组每晚计算",
        "task": "members.segments_materialise_nightly",
        "hour": "3",
        "minute": "30",
    },
    {
        "name": "POS幂等记录清理",
        "task": "pos.purge_idempotent_requests",
        "hour": "4",
        "minute": "30",
    },
]


def schedules_create(apps, schema_editor):
    crontabs = apps.get_model("django_celery_beat", "CrontabSchedule")
    tasks = apps.get_model("django_celery_beat", "PeriodicTask")
    for entry in NIGHTLY:
        crontab, _ = crontabs.objects.get_or_create(
            minute=entry["minute"],
            hour=entry["hour"],
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=TIME_ZONE,
        )
        tasks.objects.update_or_create(
            name=entry["name"],
            defaults={"task": entry["task"], "crontab": crontab, "interval": None},
        )
    _beat_notify(apps)


def _beat_notify(apps):
    """Tell a running beat the schedule changed (what the admin's save signal does)."""
    changes = apps.get_model("django_celery_beat", "PeriodicTasks")
    changes.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def schedules_delete(apps, schema_editor):
    tasks = apps.get_model("django_celery_beat", "PeriodicTask")
    tasks.objects.filter(name__in=[entry["name"] for entry in NIGHTLY]).delete()
    _beat_notify(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedules_create, schedules_delete)]
