"""One chunk of a batch: the members of an id range, classified and issued to in set-based SQL.

Under the template's row lock (so two batches of one template, or a guide's single coupon, never
overrun its quota or budget together), a chunk

1. counts its targets by outcome in one aggregate query: already holding this batch's coupon
   (a re-run), home store not covered, per-member limit reached, eligible;
2. writes the eligible members' coupons in ONE `INSERT ... SELECT ... ON CONFLICT (batch_id,
   member_id) DO NOTHING`, lowest member ids first when the quota or budget allows fewer;
3. adds what it issued and skipped to the batch and the template.

All of it commits with the chunk's `finished` mark (jobs.services.job_chunk_execute), so a chunk
killed half-way leaves nothing behind and its re-run ends as a clean run would.
"""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from ..models import Coupon, CouponStatus, CouponTemplate, IssueBatch
from .issuing_rules import issuing_room, member_covered_q, template_issuable, validity_for
from .issuing_targets import batch_targets

# 16 hex digits (64 random bits) per coupon, drawn by the database for each row. Postgres's
# gen_random_uuid() uses the strong random source; SQLite's randomblob() is its own CSPRNG.
CODE_SQL = {
    "postgresql": "upper(substr(md5(gen_random_uuid()::text), 1, 16))",
    "sqlite": "upper(hex(randomblob(8)))",
}
INSERT_COLUMNS = (
    "code", "template", "batch", "member", "store", "face_value", "min_spend",
    "valid_from", "valid_until", "status", "issued_at",
)  # fmt: skip


def coupon_code_sql() -> str:
    return CODE_SQL[connection.vendor]


@dataclass(frozen=True)
class ChunkCounts:
    targets: int
    already: int
    store_not_covered: int
    per_member_limit: int

    @property
    def eligible(self) -> int:
        return self.targets - self.already - self.store_not_covered - self.per_member_limit


def _in_batch_q(batch: IssueBatch) -> Q:
    return Q(Exists(Coupon.objects.filter(batch_id=batch.pk, member_id=OuterRef("pk"))))


def _at_limit_q(template: CouponTemplate, lo: int, hi: int) -> Q:
    """Holds `per_member_limit` coupons of the template already, in any status (within the
    template's limit period).

    Written so that Postgres reads the coupons once, before the INSERT writes any: NOT EXISTS
    becomes an anti-join, NOT IN over the range's full holders a hashed subplan. (A per-member
    count subquery, planned while the table looks empty, would rescan the coupons the same
    INSERT is writing, once per member.)
    """
    of_template = Coupon.objects.counting_toward_limit(template, on=timezone.localdate())
    if template.per_member_limit == 1:
        return Q(Exists(of_template.filter(member_id=OuterRef("pk"))))
    full = (
        of_template.filter(member_id__gte=lo, member_id__lt=hi)
        .order_by()
        .values("member_id")
        .annotate(held=Count("pk"))
        .filter(held__gte=template.per_member_limit)
        .values("member_id")
    )
    return Q(pk__in=full)


@dataclass(frozen=True)
class Outcomes:
    """A chunk's targets sorted by outcome, as filters on Member."""

    already: Q
    not_covered: Q | None  # None: the template is usable everywhere
    at_limit: Q
    eligible: Q

    @classmethod
    def of(cls, batch: IssueBatch, template: CouponTemplate, lo: int, hi: int) -> "Outcomes":
        new = ~_in_batch_q(batch)
        covered = member_covered_q(template)
        candidate = new if covered is None else new & covered
        at_limit = _at_limit_q(template, lo, hi)
        return cls(
            already=_in_batch_q(batch),
            not_covered=None if covered is None else new & ~covered,
            at_limit=candidate & at_limit,
            eligible=candidate & ~at_limit,
        )


def chunk_classify(members: QuerySet, outcomes: Outcomes) -> ChunkCounts:
    """The chunk's targets counted by outcome, in one query."""
    figures = {
        "targets": Count("pk"),
        "already": Count("pk", filter=outcomes.already),
        "per_member_limit": Count("pk", filter=outcomes.at_limit),
    }
    if outcomes.not_covered is not None:
        figures["store_not_covered"] = Count("pk", filter=outcomes.not_covered)
    return ChunkCounts(**{"store_not_covered": 0, **members.aggregate(**figures)})


def eligible_members(members: QuerySet, outcomes: Outcomes) -> QuerySet:
    """The members to issue to, lowest ids first, as (member_ref, store_ref) rows."""
    eligible = members.filter(outcomes.eligible).order_by("pk")
    return eligible.values(member_ref=F("pk"), store_ref=F("home_store_id"))


def coupons_insert(eligible: QuerySet, *, batch: IssueBatch, template: CouponTemplate) -> int:
    """Write the coupons of `eligible` in one statement; returns how many were written."""
    ops, meta = connection.ops, Coupon._meta
    issued_on = timezone.localdate()
    valid_from, valid_until = validity_for(template, issued_on=issued_on)
    columns = ", ".join(ops.quote_name(meta.get_field(name).column) for name in INSERT_COLUMNS)
    select_sql, select_params = eligible.query.sql_with_params()
    sql = (
        f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) "
        f"SELECT {coupon_code_sql()}, %s, %s, e.member_ref, e.store_ref, %s, %s, %s, %s, %s, %s "
        f"FROM ({select_sql}) AS e WHERE true "  # WHERE: lets SQLite parse the ON CONFLICT
        "ON CONFLICT (batch_id, member_id) DO NOTHING"
    )
    values = [
        template.pk,
        batch.pk,
        ops.adapt_decimalfield_value(template.face_value, 12, 2),
        ops.adapt_decimalfield_value(template.min_spend, 12, 2),
        ops.adapt_datefield_value(valid_from),
        ops.adapt_datefield_value(valid_until),
        CouponStatus.ISSUED.value,
        ops.adapt_datetimefield_value(timezone.now()),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *select_params])
        return max(cursor.rowcount, 0)


def _counts_add(batch: IssueBatch, template: CouponTemplate, issued: int, skipped: dict) -> None:
    CouponTemplate.objects.filter(pk=template.pk).update(issued_count=F("issued_count") + issued)
    locked = IssueBatch.objects.select_for_update().get(pk=batch.pk)
    for reason, count in skipped.items():
        locked.skipped[reason] = locked.skipped.get(reason, 0) + count
    locked.issued_count += issued
    locked.save(update_fields=["issued_count", "skipped", "updated_at"])


def chunk_issue(batch: IssueBatch, *, lo: int, hi: int, business_date: datetime.date) -> int:
    """Issue the batch to its targets with ids in [lo, hi); returns the coupons written.
    Runs inside the chunk's transaction."""
    template = CouponTemplate.objects.select_for_update().get(pk=batch.template_id)
    members = batch_targets(batch, today=business_date).filter(pk__gte=lo, pk__lt=hi)
    outcomes = Outcomes.of(batch, template, lo, hi)
    counts = chunk_classify(members, outcomes)
    room, short_of = issuing_room(template)
    if not template_issuable(template, on=timezone.localdate()):
        room, short_of = 0, "template_closed"
    issued = 0
    if counts.eligible and room != 0:
        eligible = eligible_members(members, outcomes)
        limited = eligible if room is None else eligible[:room]
        issued = coupons_insert(limited, batch=batch, template=template)
    skipped = {
        "store_not_covered": counts.store_not_covered,
        "per_member_limit": counts.per_member_limit,
        short_of: counts.eligible - issued,
    }
    _counts_add(batch, template, issued, {k: n for k, n in skipped.items() if k and n})
    return issued
