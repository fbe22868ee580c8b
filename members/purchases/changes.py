"""What the purchase summary may not know yet: orders changed since a refresh began.

An order changes when it is created or edited (its `updated_at`; importing order lines touches it
too) or refunded (a `Refund` row's `created_at`). Both the readers (members.purchases.lookup) and
the next night's refresh (members.purchases.refresh) use these sets, so what the summary misses
is always treated the same way: straight from the order lines.
"""

import datetime

from django.db.models import Q, QuerySet

from members.models import Order, Refund


def changed_orders(*, since: datetime.datetime) -> QuerySet:
    """Ids of the orders created, edited or refunded at or after `since`."""
    edited = Order.objects.filter(updated_at__gte=since).order_by().values("pk")
    refunded = Refund.objects.filter(created_at__gte=since).order_by().values("order_id")
    return edited.union(refunded)


def members_to_recheck(
    *,
    since: datetime.datetime,
    paid_from: datetime.datetime,
    rows: QuerySet,
    member_range: tuple[int, int] | None = None,
) -> QuerySet:
    """Ids of the members whose summary rows among `rows` may be wrong or incomplete.

    They own an order changed at or after `since` or paid at or after `paid_from` (after the
    summary's date), or one of their `rows` rests on a changed order (which may have been
    refunded, or moved to another member by an import). `member_range` narrows to [lo, hi).
    """
    touched = Order.objects.filter(
        Q(updated_at__gte=since) | Q(paid_at__gte=paid_from), _owned(member_range)
    ).values("member_id")
    refunded = Refund.objects.filter(
        _owned(member_range, prefix="order__"), created_at__gte=since
    ).values("order__member_id")
    resting = rows.filter(last_order_id__in=changed_orders(since=since)).values("member_id")
    return touched.order_by().union(refunded.order_by(), resting.order_by())


def _owned(member_range: tuple[int, int] | None, *, prefix: str = "") -> Q:
    """Orders with a member (the member's id in [lo, hi) when a range is given)."""
    q = Q(**{f"{prefix}member__isnull": False})
    if member_range:
        lo, hi = member_range
        q &= Q(**{f"{prefix}member_id__gte": lo, f"{prefix}member_id__lt": hi})
    return q
