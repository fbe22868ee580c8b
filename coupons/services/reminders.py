"""Morning expiry reminders into the outbox (INV-NO-DUP-MESSAGE, INV-JOB-RERUN).

For the local date `on`, a member holding unused, usable coupons that expire between `on` and
`on` + CouponSettings.reminder_days_before, not yet reminded, gets ONE SMS (kind coupon_expiry,
due `on`) covering all of them: their count, total face value and earliest last day, from
CouponSettings.reminder_sms_template. Each chunk (a member-id range, so a member's coupons are
never split between chunks) first marks the coupons `reminded_on = on`, then writes the messages
from exactly the coupons so marked, both in the chunk's transaction. A coupon is reminded at
most once ever; (member, kind, due date) is unique in the outbox; a re-run writes nothing.

The window, rather than "exactly N days before": a morning the job did not run is caught up the
next morning, a coupon issued with fewer than N days left is still reminded, and changing N
loses no coupon.

Members who opted out of marketing get no message, and their coupons are NOT marked. So
`reminded_on` stays the record of a reminder actually written, and each morning's run looks at
those coupons again while they are in the window: still opted out, still no message; opted back
in (consent given again) before the coupon's last day, reminded then, once. A re-run of the same
day writes nothing either way (its run is finished). An opt-out after the message was written
is honoured by the sender, which skips the message.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import JobRun
from jobs.services import id_ranges
from jobs.sweeps import Dispatch, Sweep, sweep_chunk_run, sweep_start
from members.errors import RuleViolation
from members.models import Member
from messaging.sms import sms_template_check

from ..models import REMINDER_PLACEHOLDERS, Coupon, CouponSettings, CouponStatus
from .reminder_sql import reminder_messages_insert

JOB = "coupons.remind"


def coupon_reminders_enqueue(
    *, on: datetime.date, chunk_size: int | None = None, dispatch: Dispatch | None = None
) -> JobRun:
    """Write the day's expiry reminders to the outbox, or resume that day's run. A day after
    today is refused, and so is a reminder template that breaks the SMS rules."""
    if on > timezone.localdate():
        raise RuleViolation(
            "coupon_remind_date_in_future",
            _("%(date)s 晚于今天，不能提前发送到期提醒。") % {"date": on},
        )
    size = chunk_size or settings.COUPON_CHUNK_SIZE
    return sweep_start(REMINDERS, business_date=on, chunk_size=size, dispatch=dispatch)


def coupon_reminders_chunk_run(*, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    return sweep_chunk_run(REMINDERS, chunk_id=chunk_id, dispatch=dispatch)


def _template() -> str:
    """The reminder template, refused when it breaks the SMS rules (saved around the validator):
    the run then fails with the reason in its error, before any coupon is marked."""
    template = CouponSettings.current().reminder_sms_template
    try:
        sms_template_check(template, marketing=True, placeholders=REMINDER_PLACEHOLDERS)
    except ValidationError as error:
        raise RuleViolation(
            "coupon_reminder_template_invalid",
            _("到期提醒短信模板不符合短信规则：%(reasons)s") % {"reasons": "".join(error.messages)},
        ) from error
    return template


def _window_end(on: datetime.date) -> datetime.date:
    return on + datetime.timedelta(days=CouponSettings.current().reminder_days_before)


def _candidates(on: datetime.date, window_end: datetime.date):
    """Unused coupons usable on `on`, ending by `window_end`, never reminded (found through the
    index coupon_status_until)."""
    return Coupon.objects.filter(
        status=CouponStatus.ISSUED,
        valid_from__lte=on,
        valid_until__gte=on,
        valid_until__lte=window_end,
        reminded_on__isnull=True,
    )


def _ranges(run: JobRun, chunk_size: int) -> list[tuple[int, int]]:
    """Member-id ranges spanning the members who hold a candidate coupon."""
    _template()
    on = run.business_date
    holders = _candidates(on, _window_end(on)).values("member_id")
    return id_ranges(Member.objects.filter(pk__in=holders), chunk_size)


def _remind_range(run: JobRun, lo: int, hi: int) -> int:
    """Coupons marked plus messages written, for the members of [lo, hi)."""
    on = run.business_date
    template, window_end = _template(), _window_end(on)
    marked = (
        _candidates(on, window_end)
        .filter(member_id__gte=lo, member_id__lt=hi, member__marketing_opt_out=False)
        .update(reminded_on=on)
    )
    if not marked:
        return 0
    written = reminder_messages_insert(
        template=template, on=on, window_end=window_end, lo=lo, hi=hi
    )
    return marked + written


REMINDERS = Sweep(job=JOB, ranges=_ranges, work=_remind_range)
