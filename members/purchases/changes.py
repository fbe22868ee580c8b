"""What the purchase summary may not know yet: orders changed since a refresh began.

An order changes when it is created or edited (its `updated_at`; importing order lines touches it
too) or refunded (a `Refund` row's `created_at`). The readers (members.purchases.lookup) read the
unknown orders' lines directly, the next night's refresh (members.purchases.build) rewrites the
rows of those orders' members: what the summary misses is always taken from the order lines.
"""

import datetime

from django.db.models import Q, QuerySet

from jobs.dates import local_day_start
from members.models import Order, PurchaseSummaryRun, Refund


def changed_orders(*, since: datetime.datetime) -> QuerySet:
    """Ids of the orders created, edited or refunded at or after `since`."""
    edited = Order.objects.filter(updated_at__gte=since).order_by().values("pk")
    refunded = Refund.objects.filter(created_at__gte=since).order_by().values("order_id")
    return edited.union(refunded)


def paid_after_summary(summary: PurchaseSummaryRun) -> datetime.datetime:
    """The instant after the summary's date: orders paid from then on are not in it."""
    return local_day_start(summary.business_date + datetime.timedelta(days=1))


def unknown_orders(summary: PurchaseSummaryRun) -> QuerySet:
    """Ids of the orders the summary may not know: changed since it began, or paid after its
    date (a readers' lookup reads their lines directly)."""
    paid_after = Order.objects.filter(paid_at__gte=paid_after_summary(summary))
    return changed_orders(since=summary.changes_since).union(paid_after.order_by().values("pk"))


def members_resting_on_changes(rows: QuerySet, *, since: datetime.datetime) -> QuerySet:
    """Ids of the members whose summary rows among `rows` rest on an order changed at or after
    `since` (it may have been refunded, or moved to another member by an import)."""
    return rows.filter(last_order_id__in=changed_orders(since=since)).values("member_id")


def members_to_recheck(
    summary: PurchaseSummaryRun, *, rows: QuerySet, member_range: tuple[int, int] | None = None
) -> QuerySet:
    """Ids of the members whose summary rows among `rows` may be wrong or incomplete.

    They own an order changed since the summary began or paid after its date, or one of their
    `rows` rests on a changed order. `member_range` narrows to [lo, hi).
    """
    since = summary.changes_since
    touched = Order.objects.filter(
        Q(updated_at__gte=since) | Q(paid_at__gte=paid_after_summary(summary)),
        _owned(member_range),
    ).values("member_id")
    refunded = Refund.objects.filter(
        _owned(member_range, prefix="order__"), created_at__gte=since
    ).values("order__member_id")
    resting = members_resting_on_changes(rows, since=since)
    return touched.order_by().union(refunded.order_by(), resting.order_by())


def _owned(member_range: tuple[int, int] | None, *, prefix: str = "") -> Q:
    """Orders with a member (the member's id in [lo, hi) when a range is given)."""
    q = Q(**{f"{prefix}member__isnull": False})
    if member_range:
        lo, hi = member_range
        q &= Q(**{f"{prefix}member_id__gte": lo, f"{prefix}member_id__lt": hi})
    return q
