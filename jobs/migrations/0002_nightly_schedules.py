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
"""

from django.db import migrations

from jobs.schedules import schedules_remove, schedules_write

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
    schedules_write(apps, NIGHTLY)


def schedules_delete(apps, schema_editor):
    schedules_remove(apps, NIGHTLY)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedules_create, schedules_delete)]
