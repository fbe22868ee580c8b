"""The business calendar: local dates (Asia/Shanghai) as instants and windows, the business date a
nightly job covers, and how commands read one. Every "local day", "last N days" and "month" in
jobs, segment conditions and reports is measured here."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _


def local_day_start(day: datetime.date) -> datetime.datetime:
    """The aware instant local day `day` begins at: its midnight in the business time zone
    (settings.TIME_ZONE), whatever time zone a request may have activated."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def last_days_window(*, days: int, today: datetime.date) -> tuple[datetime.datetime, ...]:
    """[start, end) instants of the local dates from `today - days` up to and including `today`
    (so that "within N days" matches R <= N)."""
    return (
        local_day_start(today - datetime.timedelta(days=days)),
        local_day_start(today + datetime.timedelta(days=1)),
    )


def month_window(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """[first day, first day of the next month) of the local month `day` falls in."""
    first = day.replace(day=1)
    return first, (first + datetime.timedelta(days=32)).replace(day=1)


def nightly_business_date() -> datetime.date:
    """What a nightly job covers by default: yesterday, local time (Asia/Shanghai)."""
    return timezone.localdate() - datetime.timedelta(days=1)


def business_date_arg(text: str | None) -> datetime.date:
    """A command's date argument; empty means `nightly_business_date()`."""
    if not text or not text.strip():
        return nightly_business_date()
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            _("统计日期“%(text)s”无效，请使用 YYYY-MM-DD 格式，例如 2026-06-30。") % {"text": text}
        ) from None
