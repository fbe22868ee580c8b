"""POS ingest: resolve what the till sends (phone, guide code, order number) within the key's store,
then hand over to the order services in members."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from callbacks.services.conversion import member_conversions_settle
from coupons.services.redemption import link_redemptions_to_order
from coupons.services.reversal import ReversalResult, order_redemptions_reverse
from members.audit import audit_record
from members.errors import RuleViolation
from members.models import Member, Order, Refund, Store, User
from members.phones import mask_phone
from members.services import (
    LineInput,
    guide_by_code,
    order_create,
    order_number_lock,
    order_refund,
)

from .models import IdempotentRequest, PosApiKey


def _member_by_phone(phone: str | None) -> Member | None:
    if not phone:
        return None
    member = Member.objects.select_related("guide").filter(phone=phone).first()
    if member is None:
        raise RuleViolation(
            "unknown_member",
            _("手机号 %(phone)s 不是会员；非会员销售请不要传手机号。")
            % {"phone": mask_phone(phone)},
        )
    return member


@transaction.atomic
def pos_order_create(
    *,
    store: Store,
    order_no: str,
    phone: str | None,
    guide_code: str | None,
    channel: str,
    paid_at: datetime,
    amount: Decimal,
    lines: list[LineInput],
) -> Order:
    """A till's sale, with member and guide resolved within the key's store. Coupons the till
    redeemed under this order number before uploading it are linked to it, under the order
    number's lock so that a redemption racing the upload is linked all the same."""
    order_number_lock(store, order_no)
    order = order_create(
        store=store,
        order_no=order_no,
        member=_member_by_phone(phone),
        guide=guide_by_code(store, guide_code),
        channel=channel,
        paid_at=paid_at,
        amount=amount,
        lines=lines,
    )
    link_redemptions_to_order(order)
    member_conversions_settle(order.member_id)
    return order


def _own_order(store: Store, order_no: str) -> Order:
    """An order the key's store made; another store's order is as unknown as a missing one."""
    order = Order.objects.select_related("store").filter(store=store, order_no=order_no).first()
    if order is None:
        raise RuleViolation(
            "order_not_found",
            _("本店没有订单号为 %(no)s 的订单。") % {"no": order_no},
            status_code=404,
        )
    return order


@dataclass(frozen=True)
class PosRefund:
    """A refund, and the coupon redemptions it reversed (only a refund in full reverses any)."""

    refund: Refund
    reversals: list[ReversalResult] = field(default_factory=list)


@transaction.atomic
def pos_order_refund(
    *, store: Store, order_no: str, refund_no: str, amount: Decimal, refunded_at: datetime
) -> PosRefund:
    """Record the refund; when it makes the order refunded in full, reverse the coupons used on
    it in the same transaction (see coupons.services.reversal for why a partial one does not)."""
    order = _own_order(store, order_no)
    refund = order_refund(order=order, refund_no=refund_no, amount=amount, refunded_at=refunded_at)
    member_conversions_settle(order.member_id)
    if order.refunded_amount < order.amount:
        return PosRefund(refund=refund)
    reversals = order_redemptions_reverse(order=order, refund_no=refund_no, at=refunded_at)
    return PosRefund(refund=refund, reversals=reversals)


PURGE_BATCH = 5000


def idempotent_requests_purge(*, before: datetime) -> int:
    """Delete stored POS answers created before `before`, in short batches; returns how many.

    Safe to re-run: a second run finds nothing left to delete.
    """
    stale = IdempotentRequest.objects.filter(created_at__lt=before).order_by("pk")
    purged = 0
    while ids := list(stale.values_list("pk", flat=True)[:PURGE_BATCH]):
        purged += IdempotentRequest.objects.filter(pk__in=ids).delete()[0]
    return purged


# --- Credentials --------------------------------------------------------------------------------


@transaction.atomic
def pos_api_key_issue(*, store: Store, name: str = "", actor: User | None) -> tuple[PosApiKey, str]:
    """Issue a key for `store`: the raw key is returned once (only its hash is kept), and who
    issued which key to which store is audited in the same transaction (the log holds the
    key's prefix, never the key)."""
    api_key, raw_key = PosApiKey.objects.issue(store=store, name=name)
    audit_record(
        actor=actor,
        obj=api_key,
        event="pos_key_issued",
        changes={"active": ["", "True"]},
        store=store.code,
        prefix=api_key.prefix,
        name=name,
    )
    return api_key, raw_key


@transaction.atomic
def pos_api_keys_deactivate(*, keys, actor: User | None) -> int:
    """Deactivate the active keys among `keys` (already deactivated ones are left alone), each
    with an audit row; returns how many were deactivated."""
    active = list(keys.filter(active=True).select_for_update().select_related("store"))
    PosApiKey.objects.filter(pk__in=[key.pk for key in active]).update(active=False)
    for key in active:
        audit_record(
            actor=actor,
            obj=key,
            event="pos_key_deactivated",
            changes={"active": ["True", "False"]},
            store=key.store.code,
            prefix=key.prefix,
        )
    return len(active)
