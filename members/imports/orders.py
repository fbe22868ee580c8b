"""Orders: `order_no,phone,store_code,guide_code,channel,paid_at,amount`; key (store, order_no).

Credit goes where `members.services.order_attribution` says, the same function `order_create`
calls: it is called per row on objects preloaded for the chunk (the member with its bound guide),
so the rule lives in one place and no row costs a query.

An empty phone is a sale to a non-member (Order.member is optional and the reports compare member
sales with all sales); a phone that is not a member is a bad row. A re-import changes an existing
order's facts; its credit is recomputed only when who bought, who sold or the channel changed, so
re-importing an unchanged file never moves credit after a member was re-bound.

On Postgres the chunk is applied set-based instead (`orders_sql`: COPY into a staging table, the
lookups, checks, attribution and upsert in SQL); the path below is the reference the tests hold
the SQL one to (tests/imports run both), and what SQLite uses.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from django.db import connection
from django.utils import timezone

from members.models import Channel, ImportKind, Member, Order
from members.services import order_attribution

from .base import Applied, Importer, Plan
from .cells import (
    Cells,
    parse_amount,
    parse_local_datetime,
    parse_phone,
    text_choices_parser,
    text_parser,
)
from .lookups import (
    below_refunded_reason,
    by_key,
    guide_problem,
    guides_by_code,
    not_a_member_reason,
    orders_by_key,
    stores_by_code,
    unknown_store_reason,
)
from .orders_sql import apply_order_rows

ATTRIBUTION_INPUTS = ("member_id", "guide_id", "channel")
# Rows per transaction. The set-based path pays a few statements per chunk, so bigger is faster;
# 50,000 parsed rows are ~40 MB of Python objects.
SQL_CHUNK_SIZE = 50_000


@dataclass(slots=True)
class OrderRow:
    row: int
    order_no: str | None
    phone: str | None
    store_code: str | None
    guide_code: str | None
    channel: str
    paid_at: datetime | None
    amount: Decimal | None


class OrderImporter(Importer):
    kind = ImportKind.ORDERS
    model = Order
    columns = ("order_no", "phone", "store_code", "guide_code", "channel", "paid_at", "amount")
    key_column = "order_no"
    update_fields = (
        "member",
        "guide",
        "channel",
        "paid_at",
        "amount",
        "credited_store",
        "credited_guide",
        "updated_at",
    )

    # Postgres takes the set-based path; the tests switch it off to hold both paths to one result.
    set_based_on_postgres: ClassVar[bool] = True

    def __init__(self):
        self.parse_channel = text_choices_parser(Channel)
        self.set_based = self.set_based_on_postgres and connection.vendor == "postgresql"
        if self.set_based:
            self.chunk_size = SQL_CHUNK_SIZE

    def apply(self, rows: list[OrderRow]) -> Applied:
        if self.set_based:
            return apply_order_rows(rows)
        return super().apply(rows)

    def parse(self, cells: Cells) -> OrderRow:
        return OrderRow(
            row=cells.row,
            order_no=cells.get("order_no", text_parser(64), required=True),
            phone=cells.get("phone", parse_phone),
            store_code=cells.get("store_code", text_parser(32), required=True),
            guide_code=cells.get("guide_code", text_parser(32)),
            channel=cells.get("channel", self.parse_channel, default=Channel.STORE),
            paid_at=cells.get("paid_at", parse_local_datetime, required=True),
            amount=cells.get("amount", parse_amount, required=True),
        )

    def key(self, row: OrderRow):
        return (row.store_code, row.order_no) if row.store_code and row.order_no else None

    def plan(self, rows: list[OrderRow]) -> Plan:
        plan = Plan()
        stores = stores_by_code(r.store_code for r in rows)
        guides = guides_by_code(r.guide_code for r in rows)
        members = _members_by_phone(r.phone for r in rows if r.phone)
        existing = orders_by_key(
            ((stores[r.store_code].pk, r.order_no) for r in rows if r.store_code in stores),
            "refunded_amount",
            *self.update_fields,
        )
        now = timezone.now()
        for row in rows:
            store = stores.get(row.store_code)
            if store is None:
                plan.reject(row.row, "store_code", row.store_code, unknown_store_reason())
                continue
            guide = guides.get(row.guide_code) if row.guide_code else None
            if row.guide_code and (problem := guide_problem(guide, store)):
                plan.reject(row.row, "guide_code", row.guide_code, problem)
                continue
            member = members.get(row.phone) if row.phone else None
            if row.phone and member is None:
                plan.reject(row.row, "phone", row.phone, not_a_member_reason())
                continue
            order = existing.get((store.pk, row.order_no))
            if order is None:
                plan.create.append(_new_order(row, store, guide, member))
            elif order.refunded_amount > row.amount:
                reason = below_refunded_reason(order.refunded_amount)
                plan.reject(row.row, "amount", row.amount, reason)
            elif _apply_changes(order, row, store, guide, member):
                order.updated_at = now
                plan.update.append(order)
        return plan


def _members_by_phone(phones) -> dict[str, Member]:
    # order_attribution reads member.guide.store_id: the bound guide comes with the member.
    members = (
        Member.objects.filter(phone__in=set(phones))
        .order_by()
        .select_related("guide")
        .only("id", "phone", "home_store_id", "guide_id", "guide__store_id")
    )
    return by_key(members, "phone")


def _new_order(row: OrderRow, store, guide, member) -> Order:
    credited_store_id, credited_guide_id = order_attribution(
        store=store, guide=guide, member=member, channel=row.channel
    )
    return Order(
        store=store,
        order_no=row.order_no,
        member=member,
        guide=guide,
        channel=row.channel,
        paid_at=row.paid_at,
        amount=row.amount,
        credited_store_id=credited_store_id,
        credited_guide_id=credited_guide_id,
    )


def _apply_changes(order: Order, row: OrderRow, store, guide, member) -> bool:
    """Copy the row onto the order; True when anything changed."""
    before = tuple(getattr(order, field) for field in ATTRIBUTION_INPUTS)
    wanted = {
        "member_id": member and member.pk,
        "guide_id": guide and guide.pk,
        "channel": row.channel,
        "paid_at": row.paid_at,
        "amount": row.amount,
    }
    changed = [field for field, value in wanted.items() if getattr(order, field) != value]
    for field in changed:
        setattr(order, field, wanted[field])
    if before != tuple(getattr(order, field) for field in ATTRIBUTION_INPUTS):
        order.credited_store_id, order.credited_guide_id = order_attribution(
            store=store, guide=guide, member=member, channel=row.channel
        )
    return bool(changed)
