"""The business date a nightly job covers, and how commands read one."""

import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _


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
