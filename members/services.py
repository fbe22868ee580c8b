"""Writes on members and orders. Each is atomic and audited where INVARIANTS asks for it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record, mask_phone
from .errors import RuleViolation
from .models import (
    ONLINE_CHANNELS,
    Member,
    Order,
    OrderLine,
    OwnershipChange,
    Product,
    Refund,
    Role,
    Store,
    User,
)

# --- Ownership ----------------------------------------------------------------------------------

# Rows of other apps that follow a member's binding (callbacks: the member's open tasks go to the
# new guide), called inside `member_rebind`'s transaction. Apps register from AppConfig.ready().
REBIND_FOLLOWERS: list[Callable[[Member, User], None]] = []


def _check_guide_of_store(guide: User | None, store: Store) -> None:
    if guide is None:
        return
    if guide.role != Role.GUIDE or guide.store_id != store.pk or not guide.is_active:
        raise RuleViolation(
            "guide_not_in_store",
            _("导购 %(guide)s 不是门店 %(store)s 的在职导购。") % {"guide": guide, "store": store},
        )


def guide_by_code(store: Store, guide_code: str | None) -> User | None:
    """The store's active guide with this code (what tills and imports send); no code: None."""
    if not guide_code:
        return None
    guide = User.objects.guides().filter(store=store, guide_code=guide_code).first()
    if guide is None:
        raise RuleViolation(
            "guide_not_in_store",
            _("导购编码 %(code)s 不是门店 %(store)s 的在职导购。")
            % {"code": guide_code, "store": store.code},
        )
    return guide


def _check_may_rebind(actor: User, member: Member, to_store: Store) -> None:
    if actor.is_hq:
        return
    if actor.is_store_manager and actor.store_id == member.home_store_id:
        if to_store.pk != member.home_store_id:
            raise RuleViolation(
                "cross_store_rebind_hq_only",
                _("只有总部可以把会员转到其他门店。"),
                status_code=403,
            )
        return
    raise RuleViolation("rebind_not_allowed", _("您没有重新绑定会员的权限。"), status_code=403)


@transaction.atomic
def member_rebind(
    *,
    member: Member,
    to_guide: User | None,
    reason: str,
    actor: User,
    to_store: Store | None = None,
) -> Member:
    """Bind a member to another guide (and, for HQ, another store), recording who, when and why."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    to_store = to_store or member.home_store
    _check_may_rebind(actor, member, to_store)
    _check_guide_of_store(to_guide, to_store)
    if not (reason or "").strip():
        raise RuleViolation("reason_required", _("请填写变更原因。"))
    if member.home_store_id == to_store.pk and member.guide_id == (to_guide and to_guide.pk):
        return member
    change = OwnershipChange.objects.create(
        member=member,
        from_store_id=member.home_store_id,
        to_store=to_store,
        from_guide_id=member.guide_id,
        to_guide=to_guide,
        reason=reason.strip(),
        changed_by=actor,
    )
    audit_record(
        actor=actor,
        obj=member,
        event="member_rebind",
        changes={
            "home_store": [str(change.from_store_id), str(to_store.pk)],
            "guide": [str(change.from_guide_id), str(to_guide and to_guide.pk)],
        },
        reason=change.reason,
    )
    member.home_store = to_store
    member.guide = to_guide
    member.save(update_fields=["home_store", "guide", "updated_at"])
    for follow in REBIND_FOLLOWERS:
        follow(member, actor)
    return member


@transaction.atomic
def member_marketing_opt_out(*, member: Member, actor: User, reason: str) -> Member:
    """The member asks for no more marketing: it takes effect at once (the outbox sender
    re-checks it before every message) and is audited. Already opted out: nothing to do."""
    moved = Member.objects.filter(pk=member.pk, marketing_opt_out=False).update(
        marketing_opt_out=True, updated_at=timezone.now()
    )
    if moved:
        audit_record(
            actor=actor,
            obj=member,
            event="marketing_opt_out",
            changes={"marketing_opt_out": ["False", "True"]},
            reason=reason,
        )
    member.marketing_opt_out = True
    return member


def member_phone_reveal(*, member: Member, actor: User) -> str:
    """Show a full phone number: an explicit act that writes an access-log row."""
    audit_record(actor=actor, obj=member, event="phone_reveal", phone=mask_phone(member.phone))
    return member.phone


# --- Orders -------------------------------------------------------------------------------------


def order_attribution(
    *, store: Store, guide: User | None, member: Member | None, channel: str
) -> tuple[int, int | None]:
    """(credited store id, credited guide id) per DOMAIN.md.

    An in-store sale counts for the store that made it (and its selling guide); an online sale
    (mini-program, livestream) counts for the member's bound guide and that guide's store, or the
    member's home store when they have no guide.
    """
    if channel not in ONLINE_CHANNELS or member is None:
        return store.pk, guide and guide.pk
    if member.guide_id:
        return member.guide.store_id, member.guide_id
    return member.home_store_id, None


@dataclass(frozen=True)
class AttributionColumns:
    """The SQL expressions `order_attribution_sql` reads: the order's store, selling guide and
    channel, and the member (NULL for a non-member), their bound guide, that guide's store and
    the member's home store."""

    store: str
    guide: str
    channel: str
    member: str
    member_guide: str
    member_guide_store: str
    member_home_store: str


def order_attribution_sql(columns: AttributionColumns) -> tuple[str, str]:
    """`order_attribution` as two SQL expressions (credited store, credited guide), for ingest
    that attributes a whole chunk in one statement (members.imports.orders_sql).

    The same branches in the same order as the function above; tests/members/test_attribution.py
    checks the two agree on random inputs. The channel codes are our TextChoices values, not
    user input, so they are written into the SQL as literals.
    """
    c = columns
    online = ", ".join(f"'{channel}'" for channel in ONLINE_CHANNELS)
    in_store = f"({c.channel} NOT IN ({online}) OR {c.member} IS NULL)"
    credited_store = (
        f"CASE WHEN {in_store} THEN {c.store} "
        f"WHEN {c.member_guide} IS NOT NULL THEN {c.member_guide_store} "
        f"ELSE {c.member_home_store} END"
    )
    credited_guide = (
        f"CASE WHEN {in_store} THEN {c.guide} "
        f"WHEN {c.member_guide} IS NOT NULL THEN {c.member_guide} "
        f"ELSE NULL END"
    )
    return credited_store, credited_guide


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    amount: Decimal


def _products_by_sku(lines: list[LineInput]) -> dict[str, Product]:
    skus = {line.sku for line in lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    missing = sorted(skus - products.keys())
    if missing:
        raise RuleViolation(
            "unknown_sku", _("商品 SKU 不存在：%(skus)s。") % {"skus": "、".join(missing)}
        )
    return products


def _order_exists(store: Store, order_no: str) -> RuleViolation:
    return RuleViolation(
        "order_exists",
        _("门店 %(store)s 已有订单号 %(no)s。") % {"store": store.code, "no": order_no},
        status_code=409,
    )


def _refund_exists(refund_no: str) -> RuleViolation:
    return RuleViolation(
        "refund_exists", _("退款单号 %(no)s 已登记。") % {"no": refund_no}, status_code=409
    )


def order_number_lock(store: Store, order_no: str) -> None:
    """Serialise, until the caller's transaction ends, everything done under one till's order
    number: the sale's upload and the coupons redeemed on it (so neither misses the other, and
    coupons on one order never add up past it). SQLite serialises its writers already."""
    if not connection.in_atomic_block:
        raise RuntimeError("order_number_lock holds until the transaction ends: call it in one.")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"order-no:{store.pk}:{order_no}"]
        )


@transaction.atomic
def order_create(
    *,
    store: Store,
    order_no: str,
    member: Member | None,
    guide: User | None,
    channel: str,
    paid_at: datetime,
    amount: Decimal,
    lines: list[LineInput] = (),
) -> Order:
    """Record a sale with its lines, attributed once and for all at ingest.

    Two tills racing on one order number: one wins, the other gets `order_exists` (409).
    """
    _check_guide_of_store(guide, store)
    if Order.objects.filter(store=store, order_no=order_no).exists():
        raise _order_exists(store, order_no)
    products = _products_by_sku(list(lines))
    credited_store_id, credited_guide_id = order_attribution(
        store=store, guide=guide, member=member, channel=channel
    )
    try:
        with transaction.atomic():
            order = Order.objects.create(
                store=store,
                order_no=order_no,
                member=member,
                guide=guide,
                channel=channel,
                paid_at=paid_at,
                amount=amount,
                credited_store_id=credited_store_id,
                credited_guide_id=credited_guide_id,
            )
    except IntegrityError:
        if Order.objects.filter(store=store, order_no=order_no).exists():
            raise _order_exists(store, order_no) from None
        raise
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=products[ln.sku], quantity=ln.quantity, amount=ln.amount)
        for ln in lines
    )
    return order


@transaction.atomic
def order_refund(*, order: Order, refund_no: str, amount: Decimal, refunded_at: datetime) -> Refund:
    """Record a refund; the order's refunded amount never exceeds what was paid."""
    if Refund.objects.filter(order=order, refund_no=refund_no).exists():
        raise _refund_exists(refund_no)
    updated = Order.objects.filter(pk=order.pk, refunded_amount__lte=F("amount") - amount).update(
        refunded_amount=F("refunded_amount") + amount
    )
    if not updated:
        raise RuleViolation(
            "refund_exceeds_amount",
            _("退款金额超过订单可退金额（订单 %(no)s）。") % {"no": order.order_no},
        )
    try:
        with transaction.atomic():
            refund = Refund.objects.create(
                order=order, refund_no=refund_no, amount=amount, refunded_at=refunded_at
            )
    except IntegrityError:
        if Refund.objects.filter(order=order, refund_no=refund_no).exists():
            raise _refund_exists(refund_no) from None
        raise
    order.refresh_from_db(fields=["refunded_amount"])
    return refund
