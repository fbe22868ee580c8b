"""The callback schedules, as data HQ can see and edit in the admin (django_celery_beat).

Declared once, here (INVARIANTS: exactly one beat scheduler; schedules are data):

- 02:45 Asia/Shanghai, "回访转化每晚核对" -> callbacks.convert_nightly: the 60-day conversions of
  every member with a callback window open lately, settled again as of yesterday. Orders from the
  POS settle at once; this catches bulk imports and late refunds. After the day's orders are in,
  and clear of the 02:00 regroup and 02:30 purchase summary it would otherwise compete with. A
  re-run for the same date writes nothing.
- 04:00, "生命周期规则" -> callbacks.lifecycle_nightly: HQ's lifecycle rules for today (a task for
  important retention / win-back members, an SMS for ordinary ones). It reads the RFM groups, so
  it waits (retrying every 15 minutes) for the regroup as of yesterday; at 04:00 that is usually
  done, so the guides find their tasks in the morning and the messages are in the outbox before
  the sender's 09:00 marketing hours begin. A re-run for the same date writes nothing.
- 08:30, "回访逾期提醒" -> callbacks.remind_overdue_daily: one internal reminder per guide with
  overdue callback tasks, before the shops open; the every-5-minutes sender delivers it (staff
  messages are not held to marketing hours). One per guide and day, whatever re-runs.
"""

from django.db import migrations

from jobs.schedules import schedules_remove, schedules_write

SCHEDULES = [
    {"name": "回访转化每晚核对", "task": "callbacks.convert_nightly", "hour": "2", "minute": "45"},
    {"name": "生命周期规则", "task": "callbacks.lifecycle_nightly", "hour": "4", "minute": "0"},
    {"name": "回访逾期提醒", "task": "callbacks.remind_overdue_daily", "hour": "8", "minute": "30"},
]


def schedules_create(apps, schema_editor):
    schedules_write(apps, SCHEDULES)


def schedules_delete(apps, schema_editor):
    schedules_remove(apps, SCHEDULES)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0003_coupon_schedules")]

    operations = [migrations.RunPython(schedules_create, schedules_delete)]
