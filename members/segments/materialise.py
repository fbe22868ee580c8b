"""Materialising segments and recomputing rule tags (INV-JOB-RERUN), on the jobs primitives.

One JobRun per (job, subject, business date); one chunk per member-id range. Each chunk, in one
transaction with its `finished` mark, deletes the rows of its range that no longer match and
inserts the matching ones (INSERT ... SELECT ... ON CONFLICT DO NOTHING): set-based, no loop
over members. When the last chunk is done, the one caller that wins `job_run_advance` writes the
segment's size for the date (an upsert) and closes the run. Rules are evaluated as of the
business date, so a re-run for a finished date changes nothing and a run killed half-way, run
again, ends as a clean run would.

On demand (the button on the segment page) materialises for today under its own subject
("<pk>:now"), and starts that run afresh when today's on-demand run has already finished: a
manager may press it again after editing the rule. The nightly run for a date is never reset.
"""

import datetime
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Count
from django.utils import timezone

from jobs.models import JobRun, JobStatus
from jobs.services import (
    id_ranges,
    job_chunk_execute,
    job_chunks_left,
    job_run_advance,
    job_run_finish,
    job_run_open,
    job_run_plan,
    job_run_restart,
)

from ..models import Member, MemberTag, Segment, SegmentMember, SegmentSize, Tag, money_total
from .selectors import segment_q

SEGMENT_JOB = "segment_materialise"
RULE_TAG_JOB = "rule_tag_recompute"
MEMBERS, FINISH = "members", "finish"
CHUNK_SIZE = 50_000


@dataclass(frozen=True)
class Membership:
    """A (owner, member) table kept equal to a rule's members: SegmentMember or MemberTag."""

    model: type[models.Model]
    owner_field: str
    owner_id: int

    def rows(self, lo: int, hi: int) -> models.QuerySet:
        return self.model.objects.filter(
            **{f"{self.owner_field}_id": self.owner_id}, member_id__gte=lo, member_id__lt=hi
        )

    def insert_sql(self, select_sql: str) -> tuple[str, list]:
        """Columns and values besides the member: the owner, and MemberTag's created_at."""
        meta = self.model._meta
        columns = [meta.get_field("member").column, meta.get_field(self.owner_field).column]
        values: list = [self.owner_id]
        if self.model is MemberTag:
            columns.append(meta.get_field("created_at").column)
            values.append(timezone.now())
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        holes = ", ".join(["%s"] * len(values))
        # "WHERE true" lets SQLite parse ON CONFLICT after INSERT ... SELECT.
        sql = (
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({quoted}) "
            f"SELECT matching.matching_id, {holes} FROM ({select_sql}) AS matching WHERE true "
            "ON CONFLICT DO NOTHING"
        )
        return sql, values


def _sync_range(membership: Membership, matching: models.QuerySet, lo: int, hi: int) -> int:
    """Make the membership rows of [lo, hi) equal to `matching` there; rows written."""
    in_range = matching.filter(pk__gte=lo, pk__lt=hi).order_by().values("pk")
    removed, _ = membership.rows(lo, hi).exclude(member_id__in=in_range).delete()
    named = in_range.values(matching_id=models.F("pk"))  # a column name both databases keep
    select_sql, select_params = named.query.sql_with_params()
    insert_sql, values = membership.insert_sql(select_sql)
    with connection.cursor() as cursor:
        # The owner values sit in the outer SELECT list, before the subquery's own placeholders.
        cursor.execute(insert_sql, [*values, *select_params])
        added = max(cursor.rowcount, 0)
    return removed + added


def _open(*, job: str, subject: str, business_date, restart: bool) -> JobRun | None:
    """The run to work on, or None when it is finished and must stay so."""
    run = job_run_open(job=job, subject=subject, business_date=business_date)
    if run.status != JobStatus.FINISHED:
        return run
    return job_run_restart(run) if restart else None


def _sweep(run: JobRun, membership: Membership, matching: models.QuerySet, chunk_size: int):
    """Plan the chunks once, then run every chunk still left (a re-run skips finished ones)."""
    if run.step == "":
        job_run_plan(run, step=MEMBERS, ranges=id_ranges(Member.objects.all(), chunk_size))
    for chunk_id in job_chunks_left(run, step=MEMBERS).values_list("pk", flat=True):
        job_chunk_execute(
            chunk_id, lambda chunk: _sync_range(membership, matching, chunk.lo, chunk.hi)
        )
    job_run_advance(run, from_step=MEMBERS, to_step=FINISH)
    return run.step == FINISH


def _segment_size_write(segment: Segment, business_date: datetime.date) -> dict:
    totals = SegmentMember.objects.filter(segment=segment).aggregate(
        member_count=Count("pk"), total_spent=money_total("member__rfm__total_spent")
    )
    SegmentSize.objects.update_or_create(
        segment=segment, business_date=business_date, defaults=totals
    )
    if not segment.sizes.filter(business_date__gt=business_date).exists():
        Segment.objects.filter(pk=segment.pk).update(**totals, materialised_at=timezone.now())
    return {"member_count": totals["member_count"], "total_spent": str(totals["total_spent"])}


def segment_materialise(
    *,
    segment: Segment,
    business_date: datetime.date,
    on_demand: bool = False,
    chunk_size: int = CHUNK_SIZE,
) -> JobRun | None:
    """Write the segment's members as of `business_date`; returns the run (None: already done)."""
    subject = f"{segment.pk}:now" if on_demand else str(segment.pk)
    run = _open(job=SEGMENT_JOB, subject=subject, business_date=business_date, restart=on_demand)
    if run is None:
        return None
    membership = Membership(SegmentMember, "segment", segment.pk)
    matching = Member.objects.filter(segment_q(segment, today=business_date))
    if _sweep(run, membership, matching, chunk_size):
        with transaction.atomic():
            detail = _segment_size_write(segment, business_date)
            job_run_finish(run, detail=detail)
    return run


def tag_rule_recompute(
    *, tag: Tag, business_date: datetime.date, chunk_size: int = CHUNK_SIZE
) -> JobRun | None:
    """A rule tag's members = its segment's members as of the date: missing tags added,
    non-matching ones removed, `recomputed_at` set."""
    run = _open(job=RULE_TAG_JOB, subject=str(tag.pk), business_date=business_date, restart=False)
    if run is None or tag.rule_segment_id is None:
        return run
    membership = Membership(MemberTag, "tag", tag.pk)
    matching = Member.objects.filter(segment_q(tag.rule_segment, today=business_date))
    if _sweep(run, membership, matching, chunk_size):
        with transaction.atomic():
            Tag.objects.filter(pk=tag.pk).update(recomputed_at=timezone.now())
            job_run_finish(run, detail={"members": MemberTag.objects.filter(tag=tag).count()})
    return run
