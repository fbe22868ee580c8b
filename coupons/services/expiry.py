"""The nightly expiry (INV-JOB-RERUN, INV-AUDIT): unused coupons past their last valid day expire.

A coupon is valid through its `valid_until` day, so the run for business date D (yesterday)
expires the unused coupons with valid_until <= D; one valid until D + 1 stays. Each chunk (a
coupon-id range) is one conditional UPDATE per status the transition table lets move to EXPIRED,
and one audit row for exactly each coupon it moved, in the chunk's transaction: a re-run finds
nothing left to move and writes nothing.
"""

import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import JobRun
from jobs.services import id_ranges
from jobs.sweeps import Dispatch, Sweep, sweep_chunk_run, sweep_start
from members.errors import RuleViolation

from ..models import TRANSITIONS, Coupon, CouponStatus
from .status import coupon_audit_bulk

JOB = "coupons.expire"
REASON = "expire"


def coupons_expire(
    *,
    business_date: datetime.date,
    chunk_size: int | None = None,
    dispatch: Dispatch | None = None,
) -> JobRun:
    """Expire the unused coupons whose last valid day is `business_date` or earlier, or resume
    that date's run. A date that is not yet over (today or later) is refused."""
    if business_date >= timezone.localdate():
        raise RuleViolation(
            "coupon_expire_date_not_over",
            _("%(date)s 还没有过完，不能按这一天让优惠券过期。") % {"date": business_date},
        )
    size = chunk_size or settings.COUPON_CHUNK_SIZE
    return sweep_start(EXPIRY, business_date=business_date, chunk_size=size, dispatch=dispatch)


def coupon_expire_chunk_run(*, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    return sweep_chunk_run(EXPIRY, chunk_id=chunk_id, dispatch=dispatch)


def _due(business_date: datetime.date):
    return Coupon.objects.filter(
        status__in=TRANSITIONS.sources_of(CouponStatus.EXPIRED), valid_until__lte=business_date
    )


def _ranges(run: JobRun, chunk_size: int) -> list[tuple[int, int]]:
    """Only the id span of the coupons due (index coupon_status_until), not the whole table."""
    return id_ranges(_due(run.business_date), chunk_size)


def _expire_range(run: JobRun, lo: int, hi: int) -> int:
    business_date, moved = run.business_date, 0
    for before in TRANSITIONS.sources_of(CouponStatus.EXPIRED):
        ids = _move(before, business_date, lo, hi)
        coupon_audit_bulk(coupon_ids=ids, before=before, to=CouponStatus.EXPIRED, reason=REASON)
        moved += len(ids)
    return moved


def _move(before: str, business_date: datetime.date, lo: int, hi: int) -> list[int]:
    """Move the range's coupons due from `before` to EXPIRED; the ids of exactly those moved."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Coupon._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s, status_changed_at = %s "
                "WHERE id >= %s AND id < %s AND status = %s AND valid_until <= %s RETURNING id",
                [CouponStatus.EXPIRED, now, lo, hi, before, business_date],
            )
            return sorted(row[0] for row in cursor.fetchall())
    # SQLite (the demo): a transaction that has read cannot write over another's commit (the
    # database has one writer), so the same WHERE updates exactly the ids just read.
    due = Coupon.objects.filter(
        pk__gte=lo, pk__lt=hi, status=before, valid_until__lte=business_date
    )
    ids = sorted(due.values_list("pk", flat=True))
    if due.update(status=CouponStatus.EXPIRED, status_changed_at=now) != len(ids):
        raise RuntimeError("coupons changed between reading and expiring them; chunk retried")
    return ids


EXPIRY = Sweep(job=JOB, ranges=_ranges, work=_expire_range)
