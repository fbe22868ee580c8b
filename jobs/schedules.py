"""Writing beat schedules from migrations: each periodic job is declared once, as data HQ can see
and edit in the admin (django_celery_beat), in a jobs migration that lists it with its reason.

Idempotent: each task is updated or created by its name, so re-applying keeps one row each.
"""

TIME_ZONE = "Asia/Shanghai"


def schedules_write(apps, entries: list[dict]) -> None:
    """Create or update one crontab-scheduled PeriodicTask per entry (name, task, hour, minute)."""
    crontabs = apps.get_model("django_celery_beat", "CrontabSchedule")
    tasks = apps.get_model("django_celery_beat", "PeriodicTask")
    for entry in entries:
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


def schedules_remove(apps, entries: list[dict]) -> None:
    tasks = apps.get_model("django_celery_beat", "PeriodicTask")
    tasks.objects.filter(name__in=[entry["name"] for entry in entries]).delete()
    _beat_notify(apps)


def _beat_notify(apps) -> None:
    """Tell a running beat the schedule changed (what the admin's save signal does)."""
    from django.utils import timezone

    changes = apps.get_model("django_celery_beat", "PeriodicTasks")
    changes.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})
