"""Redemption at the till: can this coupon be used on this basket (`coupon_validate`), and use it
(`coupon_redeem`) at most once under any concurrency (INV-COUPON-ONCE).

The checks run in a fixed order, so a till always hears the most basic reason first:

1. `unknown_coupon`        no coupon has that code (case and spaces ignored)       404
2. `not_this_member`       the phone is not the holder's; the holder is not named  400
3. `voided`                the coupon was voided                                    400
4. `already_used`          the coupon is redeemed                                   409
5. `expired`               expired by the nightly job, or past its last day         400
6. `not_yet_valid`         before its first day                                     400
7. `not_this_store`        the template's `usable_in` does not cover the till       400
8. `products_not_covered`  a restricted template and no paid line it covers         400
9. `min_spend_not_met`     the eligible amount is below the minimum spend          400

Redeeming adds one check on the order (validation knows no order number):
10. `order_fully_discounted` the coupons already used on this order number cover    400
                             its whole amount; otherwise the discount is capped by what is left,
                             so coupons on one order never add up past it

Status codes: 404 for a code that names nothing, 409 for a state another call got to first
(`already_used`; `coupon_changed` in the rare case the row changed under us yet re-reads as
usable: validate again), 400 for every other rule, like the other POS rule failures.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.audit import audit_record, mask_phone
from members.errors import RuleViolation
from members.models import Order, Store
from members.phones import PhoneError, normalize_phone
from members.services import guide_by_code, order_number_lock

from ..models import ZERO, Coupon, CouponStatus, Redemption
from .basket import Basket, basket_coverage
from .status import transition_check
from .templates import template_covers_store

CENT = Decimal("0.01")

USABLE = _("该券可以使用，本单可抵扣 %(discount)s 元。")
UNKNOWN_COUPON = _("券码 %(code)s 不存在，请核对后重新输入。")
NOT_THIS_MEMBER = _("该券不属于手机号为 %(phone)s 的会员，请由持券会员本人使用。")
VOIDED = _("该券已作废，不能使用。")
ALREADY_USED = _("该券已经使用过了，不能再次使用。")
EXPIRED = _("该券已于 %(date)s 过期。")
NOT_YET_VALID = _("该券自 %(date)s 起才能使用。")
NOT_THIS_STORE = _("该券不能在本店（%(store)s）使用。")
PRODUCTS_NOT_COVERED = _("本单没有该券适用的商品。")
MIN_SPEND_NOT_MET = _("未达到用券门槛：适用商品需满 %(min)s 元，本单还差 %(short)s 元。")
ORDER_FULLY_DISCOUNTED = _(
    "本单已用券抵扣 %(used)s 元，订单金额 %(amount)s 元已全部抵扣，不能再用券。"
)
CHANGED_MEANWHILE = _("该券的状态刚刚发生了变化，请重新核验后再试。")

STATUS_OF = {"unknown_coupon": 404, "already_used": 409, "coupon_changed": 409}


@dataclass(frozen=True)
class Verdict:
    """The answer to "may this coupon be used on this basket?", with the discount it gives."""

    usable: bool
    reason_code: str
    reason: str
    discount: Decimal = ZERO
    coupon: Coupon | None = None
    eligible_amount: Decimal = ZERO


class CouponRefused(RuleViolation):
    """A redemption refused for a verdict's reason."""


def _refused(code: str, message, coupon: Coupon | None = None) -> Verdict:
    return Verdict(usable=False, reason_code=code, reason=str(message), coupon=coupon)


def _normalized(phone: str) -> str:
    try:
        return normalize_phone(phone)
    except PhoneError:
        return ""


def _state_refusal(coupon: Coupon, on: date) -> Verdict | None:
    """Checks 3 to 6: what the coupon's own row says, whatever the basket."""
    if coupon.status == CouponStatus.VOIDED:
        return _refused("voided", VOIDED, coupon)
    if coupon.status == CouponStatus.REDEEMED:
        return _refused("already_used", ALREADY_USED, coupon)
    if coupon.status == CouponStatus.EXPIRED or coupon.valid_until < on:
        return _refused("expired", EXPIRED % {"date": coupon.valid_until.isoformat()}, coupon)
    if coupon.valid_from > on:
        return _refused(
            "not_yet_valid", NOT_YET_VALID % {"date": coupon.valid_from.isoformat()}, coupon
        )
    return None


def _basket_verdict(coupon: Coupon, store: Store, basket: Basket) -> Verdict:
    """Checks 7 to 9, and the discount: the face value, capped by the eligible amount."""
    if not template_covers_store(coupon.template, store):
        return _refused("not_this_store", NOT_THIS_STORE % {"store": store.name}, coupon)
    coverage = basket_coverage(coupon.template, basket)
    if not coverage.covers_anything:
        return _refused("products_not_covered", PRODUCTS_NOT_COVERED, coupon)
    if coverage.eligible_amount < coupon.min_spend:
        short = (coupon.min_spend - coverage.eligible_amount).quantize(CENT)
        message = MIN_SPEND_NOT_MET % {"min": coupon.min_spend, "short": short}
        return _refused("min_spend_not_met", message, coupon)
    discount = min(coupon.face_value, coverage.eligible_amount).quantize(CENT)
    return Verdict(
        usable=True,
        reason_code="ok",
        reason=str(USABLE % {"discount": discount}),
        discount=discount,
        coupon=coupon,
        eligible_amount=coverage.eligible_amount,
    )


def coupon_validate(*, store: Store, code: str, phone: str, basket: Basket, on: date) -> Verdict:
    """Whether the coupon `code` may be used by the member with `phone` on `basket` at `store` on
    the local date `on`; read-only, checks in the order of the module docstring.

    A coupon of a template HQ has since closed stays usable until it expires: the member holds it
    already. Someone who is not the holder learns nothing about the coupon (`coupon` is None).
    """
    coupon = Coupon.objects.with_code(code).select_related("template", "member").first()
    if coupon is None:
        return _refused("unknown_coupon", UNKNOWN_COUPON % {"code": code})
    phone = _normalized(phone)
    if not phone or phone != coupon.member.phone:
        return _refused("not_this_member", NOT_THIS_MEMBER % {"phone": mask_phone(phone)})
    return _state_refusal(coupon, on) or _basket_verdict(coupon, store, basket)


def _refusal(verdict: Verdict) -> CouponRefused:
    status = STATUS_OF.get(verdict.reason_code, 400)
    return CouponRefused(verdict.reason_code, verdict.reason, status_code=status)


def _capped_by_order(verdict: Verdict, *, store: Store, order_no: str, basket: Basket) -> Verdict:
    """Check 10, under the order number's lock: the discount is at most what the coupons already
    used on this order left of its amount."""
    used = (
        Redemption.objects.live()
        .filter(store=store, order_no=order_no)
        .aggregate(total=Sum("discount"))["total"]
        or ZERO
    )
    left = basket.amount - used
    if left <= ZERO:
        message = ORDER_FULLY_DISCOUNTED % {"used": used, "amount": basket.amount}
        raise _refusal(_refused("order_fully_discounted", message, verdict.coupon))
    if verdict.discount <= left:
        return verdict
    discount = left.quantize(CENT)
    return replace(verdict, discount=discount, reason=str(USABLE % {"discount": discount}))


def _mark_redeemed(verdict: Verdict, *, on: date, at: datetime) -> bool:
    """INV-COUPON-ONCE: one conditional UPDATE; every rule held by the coupon's own row is in the
    WHERE clause (on plain columns, so Postgres re-checks them on the row it waited for)."""
    coupon = verdict.coupon
    transition_check(CouponStatus.ISSUED, CouponStatus.REDEEMED)
    changed = Coupon.objects.filter(
        pk=coupon.pk,
        status=CouponStatus.ISSUED,
        member_id=coupon.member_id,
        valid_from__lte=on,
        valid_until__gte=on,
        min_spend__lte=verdict.eligible_amount,
    ).update(status=CouponStatus.REDEEMED, status_changed_at=at)
    return changed == 1


def _refusal_after_race(*, store, code, phone, basket, on) -> CouponRefused:
    """No row changed: another call got there first (or the coupon changed); say precisely why."""
    verdict = coupon_validate(store=store, code=code, phone=phone, basket=basket, on=on)
    if verdict.usable:
        return CouponRefused("coupon_changed", str(CHANGED_MEANWHILE), status_code=409)
    return _refusal(verdict)


def _redemption_create(**fields) -> Redemption:
    """The row the partial unique constraint guards: a second live one is `already_used`."""
    try:
        with transaction.atomic():
            return Redemption.objects.create(**fields)
    except IntegrityError as exc:
        if Redemption.objects.live().filter(coupon=fields["coupon"]).exists():
            raise _refusal(_refused("already_used", ALREADY_USED)) from exc
        raise


@transaction.atomic
def coupon_redeem(
    *,
    store: Store,
    code: str,
    phone: str,
    order_no: str,
    basket: Basket,
    guide_code: str | None = None,
    at: datetime | None = None,
) -> Redemption:
    """Use the coupon on the till's order: validated as `coupon_validate` says, then marked
    redeemed by one conditional UPDATE (success: exactly one row changed), then recorded.

    The order is linked now when the till uploaded it already, otherwise when it does
    (`link_redemptions_to_order`). One order may use several different coupons, together never
    more than its amount.
    """
    at = at or timezone.now()
    on = timezone.localdate(at)
    verdict = coupon_validate(store=store, code=code, phone=phone, basket=basket, on=on)
    if not verdict.usable:
        raise _refusal(verdict)
    guide = guide_by_code(store, guide_code)
    order_number_lock(store, order_no)
    verdict = _capped_by_order(verdict, store=store, order_no=order_no, basket=basket)
    if not _mark_redeemed(verdict, on=on, at=at):
        raise _refusal_after_race(store=store, code=code, phone=phone, basket=basket, on=on)
    coupon = verdict.coupon
    coupon.status, coupon.status_changed_at = CouponStatus.REDEEMED, at
    redemption = _redemption_create(
        coupon=coupon,
        store=store,
        order_no=order_no,
        order=Order.objects.filter(store=store, order_no=order_no).first(),
        guide=guide,
        order_amount=basket.amount,
        discount=verdict.discount,
        redeemed_at=at,
    )
    audit_record(
        actor=None,
        obj=coupon,
        event="coupon_redeemed",
        changes={"status": [CouponStatus.ISSUED, CouponStatus.REDEEMED]},
        store=store.code,
        order_no=order_no,
        redemption=redemption.pk,
    )
    return redemption


def link_redemptions_to_order(order: Order) -> int:
    """The till redeemed before it uploaded the sale: attach the store's redemptions made under
    that order number to the order now. Returns how many were linked."""
    return Redemption.objects.filter(
        store_id=order.store_id, order_no=order.order_no, order__isnull=True
    ).update(order=order)
