"""A refund reverses a redemption, at most once: the coupon goes back to the member when the
template allows reuse (`reusable_after_refund`), and is voided otherwise.

Reversal is explicit (the till's `POST /api/pos/coupons/<code>/reverse/`) or automatic when a POS
refund makes the order refunded in full. A partial refund leaves the order's redemptions alone:
the member keeps the rest of the goods the coupon paid for, so giving the coupon back would let
them use it twice; the coupon's face value is not clawed back either.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.errors import RuleViolation
from members.models import Order, Store

from ..models import Coupon, CouponStatus, Redemption
from .redemption import UNKNOWN_COUPON
from .status import coupon_status_change

ALREADY_REVERSED = _("该券在本店的核销已经冲正过了，不能重复冲正。")
NOT_REDEEMED_HERE = _("该券没有在本店核销过（或不是该订单用的券），无法冲正。")


@dataclass(frozen=True)
class ReversalResult:
    """A reversed redemption, and whether its coupon is back in the member's hands and valid."""

    redemption: Redemption
    coupon_usable_again: bool


def _already_reversed() -> RuleViolation:
    return RuleViolation("already_reversed", ALREADY_REVERSED, status_code=409)


def _live_redemption_here(
    *, store: Store, code: str, refund_no: str, order_no: str | None
) -> Redemption:
    """The coupon's live redemption at `store` (on `order_no` when given).

    A refund number that reversed this coupon before is refused even if the coupon has been
    redeemed again since: a late retry of an old refund must not reverse the new redemption.
    """
    coupon = Coupon.objects.with_code(code).first()
    if coupon is None:
        raise RuleViolation("unknown_coupon", UNKNOWN_COUPON % {"code": code}, status_code=404)
    here = coupon.redemptions.filter(store=store)
    if order_no:
        here = here.filter(order_no=order_no)
    if here.filter(reversed_at__isnull=False, reversal_refund_no=refund_no).exists():
        raise _already_reversed()
    live = here.live().first()
    if live is None and here.exists():
        raise _already_reversed()
    if live is None:
        raise RuleViolation("not_redeemed_here", NOT_REDEEMED_HERE, status_code=404)
    return live


def _coupon_after_reversal(redemption: Redemption, *, refund_no: str, actor) -> bool:
    """Give the coupon back or void it, through the transition table (audited)."""
    coupon = (
        Coupon.objects.select_for_update().select_related("template").get(pk=redemption.coupon_id)
    )
    if coupon.status != CouponStatus.REDEEMED:
        return False  # voided by HQ since: it stays voided
    to = CouponStatus.ISSUED if coupon.template.reusable_after_refund else CouponStatus.VOIDED
    redemption.coupon = coupon_status_change(
        coupon=coupon,
        to=to,
        actor=actor,
        reason="reversed",
        store=redemption.store.code,
        order_no=redemption.order_no,
        refund_no=refund_no,
    )
    return to == CouponStatus.ISSUED and coupon.valid_until >= timezone.localdate()


def _reverse(redemption: Redemption, *, refund_no: str, actor, at: datetime):
    """One conditional UPDATE on the live row; None when another call reversed it first."""
    changed = Redemption.objects.filter(pk=redemption.pk, reversed_at__isnull=True).update(
        reversed_at=at, reversal_refund_no=refund_no
    )
    if changed != 1:
        return None
    redemption.reversed_at, redemption.reversal_refund_no = at, refund_no
    usable = _coupon_after_reversal(redemption, refund_no=refund_no, actor=actor)
    return ReversalResult(redemption=redemption, coupon_usable_again=usable)


@transaction.atomic
def redemption_reverse(
    *,
    store: Store,
    code: str,
    refund_no: str,
    order_no: str | None = None,
    actor=None,
    at: datetime | None = None,
) -> ReversalResult:
    """Reverse the coupon's live redemption at `store` for the refund `refund_no`, at most once.

    A second reversal, with the same or another refund number, is `already_reversed` (409); a
    POS retry with the same idempotency key replays the first answer instead.
    """
    redemption = _live_redemption_here(
        store=store, code=code, refund_no=refund_no, order_no=order_no
    )
    result = _reverse(redemption, refund_no=refund_no, actor=actor, at=at or timezone.now())
    if result is None:
        raise _already_reversed()
    return result


@transaction.atomic
def order_redemptions_reverse(
    *, order: Order, refund_no: str, actor=None, at: datetime | None = None
) -> list[ReversalResult]:
    """Reverse every live redemption made on `order` at its store (the order is refunded in
    full). Ones reversed meanwhile by an explicit call are skipped, not refused."""
    live = (
        Redemption.objects.live()
        .filter(store_id=order.store_id, order_no=order.order_no)
        .select_related("store", "coupon")
        .order_by("pk")
    )
    at = at or timezone.now()
    results = (_reverse(r, refund_no=refund_no, actor=actor, at=at) for r in live)
    return [result for result in results if result is not None]
