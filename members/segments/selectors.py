"""Reads: a segment's members for a user (always within visible_to), and the live preview.

A segment's members = Member.objects.visible_to(user) ∩ its rule ∩ its base's rule (a store
sub-segment started from an HQ segment) ∩ its store (a sub-segment). The same filter, without a
user, is what materialisation writes.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from ..models import (
    ZERO,
    Member,
    MemberRfm,
    MemberStoreChange,
    Segment,
    SegmentMember,
    SegmentSize,
    Store,
    money_total,
)
from .rules import rule_q

CENT = Decimal("0.01")
TOP_STORES = 10


def rule_members_q(*, rule, today: datetime.date, base: Segment | None = None, store=None) -> Q:
    """The filter a rule, its base segment and its store put on Member."""
    q = rule_q(rule, today=today)
    if base is not None:
        q &= rule_q(base.rule, today=today)
    if store is not None:
        q &= Q(home_store=store)
    return q


def segment_q(segment: Segment, *, today: datetime.date) -> Q:
    return rule_members_q(rule=segment.rule, today=today, base=segment.base, store=segment.store)


def segment_members(segment: Segment, *, user, today: datetime.date) -> QuerySet:
    """The segment's members the user may see, evaluated live."""
    return Member.objects.visible_to(user).filter(segment_q(segment, today=today))


@dataclass(frozen=True)
class StoreShare:
    code: str
    name: str
    member_count: int
    total_spent: Decimal


@dataclass(frozen=True)
class Preview:
    """客单价 (average ticket) is per order: total spent / total orders of the members (MemberRfm
    figures, counted orders). The revenue estimate is members × average ticket: what one more
    purchase by each member would bring."""

    member_count: int
    total_spent: Decimal
    order_count: int
    store_split: list[StoreShare] | None = None

    @property
    def average_ticket(self) -> Decimal:
        if not self.order_count:
            return ZERO
        return (self.total_spent / self.order_count).quantize(CENT)

    @property
    def revenue_estimate(self) -> Decimal:
        return (self.average_ticket * self.member_count).quantize(CENT)


def _per_store(members: QuerySet, *, figures: str = "rfm__") -> list[dict]:
    """Members, total spent and orders per home store id: one pass over the members gives the
    totals and HQ's split alike (grouped by the id alone: joining the stores and grouping by
    their code and name cost a tenth of a 1M-member preview). `figures` is the path from the
    queryset's model to the MemberRfm figures: "rfm__" from Member, "" from MemberRfm itself."""
    return list(
        members.order_by()
        .values("home_store_id")
        .annotate(
            n=Count("pk"),
            spent=money_total(f"{figures}total_spent"),
            orders=Coalesce(Sum(f"{figures}order_count"), 0),
        )
    )


def _per_store_from_member_rfm(q: Q, user) -> list[dict]:
    """`_per_store` of the members matching `q` that `user` may see, reading MemberRfm alone for
    those whose row names their current home store, and members_member only for the others
    (added or moved since the last regroup: MemberStoreChange; every member without a MemberRfm
    row is logged too). HQ's path: it sees every member, so nothing joins the members table. At
    1M members HQ's preview of every member took 0.64 s joining the two tables, 0.19 s reading
    MemberRfm alone, in the same run (bench/segment_preview.py)."""
    logged = MemberStoreChange.objects.values("member_id")
    any_logged = logged.exists()  # usually none just after a regroup: no test per row then
    settled = MemberRfm.objects.visible_to(user).filter(_on_member_rfm(q))
    if any_logged:
        settled = settled.exclude(pk__in=logged)
    rows = {row["home_store_id"]: row for row in _per_store(settled, figures="")}
    moved = Member.objects.visible_to(user).filter(q, pk__in=logged)
    for row in _per_store(moved) if any_logged else []:
        if (same := rows.get(row["home_store_id"])) is None:
            rows[row["home_store_id"]] = row
        else:
            for key in ("n", "spent", "orders"):
                same[key] += row[key]
    return list(rows.values())


def _on_member_rfm(q: Q) -> Q:
    """A filter on Member (a rule's) as the same filter on MemberRfm: the member's figures are
    MemberRfm's own columns, their home store its `home_store`, their id its primary key, and
    every other field is reached through `member`."""
    moved = Q()
    moved.connector, moved.negated = q.connector, q.negated
    moved.children = [_on_member_rfm_child(child) for child in q.children]
    return moved


def _on_member_rfm_child(child):
    if isinstance(child, Q):
        return _on_member_rfm(child)
    if isinstance(child, tuple):
        lookup, value = child
        return _rfm_path(lookup), _rfm_value(value)
    return child  # an expression (Exists ...): its OuterRef("pk") is the member's id either way


def _rfm_path(path: str) -> str:
    head, _sep, rest = path.partition("__")
    if head == "rfm":
        field = rest.partition("__")[0]
        return rest if _is_rfm_field(field) else f"pk__{rest}"  # rfm__isnull: the row itself
    if head in ("pk", "id"):
        return "pk" + (f"__{rest}" if rest else "")
    if head in ("home_store", "home_store_id"):
        return path
    return f"member__{path}"


def _is_rfm_field(name: str) -> bool:
    return any(name in (field.name, field.attname) for field in MemberRfm._meta.concrete_fields)


def _rfm_value(value):
    """F() paths moved like lookups, through any expression (`total_spent >= order_count * x`);
    querysets (member ids for `pk__in`) and plain values as they are."""
    if isinstance(value, F):
        return F(_rfm_path(value.name))
    if isinstance(value, QuerySet) or not hasattr(value, "get_source_expressions"):
        return value
    moved = value.copy()
    moved.set_source_expressions([_rfm_value(e) for e in value.get_source_expressions()])
    return moved


def _store_split(rows: list[dict], top: int, user) -> list[StoreShare]:
    """The `top` stores by members (then by code), and the rest as one line."""
    stores = Store.objects.visible_to(user).in_bulk([row["home_store_id"] for row in rows])
    shares = []
    for row in rows:
        store = stores[row["home_store_id"]]
        shares.append(StoreShare(store.code, store.name, row["n"], row["spent"]))
    shares.sort(key=lambda share: (-share.member_count, share.code))
    rest = shares[top:]
    if rest:
        rest_count = sum(share.member_count for share in rest)
        rest_spent = sum((share.total_spent for share in rest), ZERO)
        shares = [*shares[:top], StoreShare("", _("其他门店"), rest_count, rest_spent)]
    return shares


def segment_preview(
    *,
    rule,
    user,
    today: datetime.date,
    base: Segment | None = None,
    store=None,
    top: int = TOP_STORES,
) -> Preview:
    """Count, total spent and orders in one aggregate query per home store; HQ also gets the
    split by store (top `top` stores by members, then the rest)."""
    q = rule_members_q(rule=rule, today=today, base=base, store=store)
    if user.is_hq:
        rows = _per_store_from_member_rfm(q, user)
    else:
        rows = _per_store(Member.objects.visible_to(user).filter(q))
    return Preview(
        member_count=sum(row["n"] for row in rows),
        total_spent=sum((row["spent"] for row in rows), ZERO).quantize(CENT),
        order_count=sum(row["orders"] for row in rows),
        store_split=_store_split(rows, top, user) if user.is_hq else None,
    )


def sizes_visible(segment: Segment, user) -> bool:
    """Stored sizes count every member of the segment: HQ sees them for all segments, store
    managers and region managers for their own stores' sub-segments; nobody else (a guide, or a
    store looking at an HQ segment, gets live counts of their own members instead)."""
    if user.is_hq:
        return True
    return segment.store_id is not None and not user.is_guide


def segment_history(segment: Segment, *, days: int = 60) -> list[SegmentSize]:
    return list(segment.sizes.order_by("-business_date")[:days])[::-1]


def own_member_counts(user, segment_ids) -> dict[int, int]:
    """Per segment, how many of the members the user may see were in it at the last
    materialisation: one query for a whole list page."""
    rows = (
        SegmentMember.objects.filter(
            segment_id__in=segment_ids, member__in=Member.objects.visible_to(user)
        )
        .values("segment_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["segment_id"]: row["n"] for row in rows}
