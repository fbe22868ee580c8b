"""Step 1, `measure`: each chunk measures its members' R, F, M, L in one pass over their orders
and writes every member of its range, with a provisional group, to the run's own MemberRfm
table (members.rfm.next_table). The finish settles the groups once the thresholds are known
(members.rfm.groups).

Orders are filtered by timestamp bounds computed here (the start of local day D+1, the start of
local day D-W+1), so the database converts only each member's first and latest payment time to
a local date, never every order's.

A run measures its members in one of two ways, fixed when it opens (`RfmRun.base`):

- anew (no base: the first run, a changed window, after an unfinished run, or when asked): every
  member of the range is measured from their counted orders;
- from a base (the last finished run, live in MemberRfm): only the members whose figures may
  differ from the base's are measured again: those in the order change log (MemberOrderChange:
  an order of theirs inserted, deleted or changed since the base measured them), where the run's
  opening also puts those with an order paid on a day entering the counted orders or leaving the
  window since the base's date (`dates_log`). Every other member keeps the base's figures, R
  counted from the run's date.

Either way the chunk takes (deletes) the change log's rows of its range in the statement that
measures, so a change committed after that statement stays in the log for the next run.

The group a chunk writes is provisional: taken against thresholds known when the run opened
(`provisional_thresholds`: the base's, else those of a sample of members). Any provisional
thresholds give the same result, the settle rewrites every row whose group they got wrong; close
ones leave it little to rewrite. Writing the run's table here, rather than a work table of
figures that a second step read back to write the run's table, took those two steps' 4.0-4.6 s
to this one's 3.0-3.6 s at 1M members, two workers (bench/regroup.py, on the same busy machine).
"""

import datetime
import json

from django.db import connection

from jobs.dates import local_day_start
from jobs.services import ChunkDone
from members.models import Member, MemberOrderChange, RfmGroup, RfmRun

from . import sql
from .contract import Thresholds, group_case_sql, threshold_params
from .groups import COUNTED_GROUPS, changes_sql, counts_json_sql, counts_sql, in_chunk
from .next_table import next_table_name

FIGURE_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "lifetime_days",
    "first_purchase_on",
    "last_purchase_on",
    "order_count",
    "total_spent",
)
MEMBER_RFM_COLUMNS = ("as_of", '"group"', "home_store_id", *FIGURE_COLUMNS)
ZERO_WHEN_NONE = {"frequency", "monetary", "order_count", "total_spent"}
CHANGE_LOG = MemberOrderChange._meta.db_table
IN_RANGE = in_chunk("member_id")
# Where a chunk's group counts per store hold the members with no counted order.
NO_PURCHASE_POSITION = 1 + COUNTED_GROUPS.index(RfmGroup.NO_PURCHASE.value)
# Members measured for the provisional thresholds of a run without a base, in SAMPLE_RANGES
# id ranges spread over the members. At 1M members, 10 ranges of 2,000 members took an F
# threshold of 6 for the run's 5, leaving 65,000 members to settle; 100 ranges of 200 took all
# but M's exactly (1,695.92 for 1,689.30) in 0.11 s (scratch timings, not a benchmark).
SAMPLE_MEMBERS = 20_000
SAMPLE_RANGES = 100


def measure_bounds(run: RfmRun) -> dict[str, datetime.datetime]:
    """Orders counted: paid before `paid_before`; in the F/M window when paid at or after
    `window_from`, i.e. on a local date in (D - W, D]."""
    return _bounds(run.business_date, run.window_days)


def _bounds(as_of: datetime.date, window_days: int) -> dict[str, datetime.datetime]:
    return {
        "paid_before": local_day_start(as_of + datetime.timedelta(days=1)),
        "window_from": local_day_start(as_of - datetime.timedelta(days=window_days - 1)),
    }


def _base_bounds(run: RfmRun) -> dict[str, datetime.datetime]:
    """The base's bounds: orders paid in [base paid_before, paid_before) entered the counted
    orders since the base, those paid in [base window_from, window_from) left the window."""
    base = _bounds(run.base.business_date, run.window_days)
    return {"entered_from": base["paid_before"], "left_from": base["window_from"]}


def dates_log(run: RfmRun) -> int:
    """At a run's opening from a base: log the members with an order paid on a date that
    entered the counted orders (after the base's date, up to the run's) or left the window
    since the base. Returns the rows logged."""
    values = sql.params(**measure_bounds(run), **_base_bounds(run))
    query = f"""
        INSERT INTO {CHANGE_LOG} (member_id)
        SELECT DISTINCT o.member_id FROM members_order o
        WHERE o.member_id IS NOT NULL
          AND ((o.paid_at >= %(entered_from)s AND o.paid_at < %(paid_before)s)
               OR (o.paid_at >= %(left_from)s AND o.paid_at < %(window_from)s))
    """
    with connection.cursor() as cursor:
        cursor.execute(query, values)
        return max(cursor.rowcount, 0)


def measure_chunk(
    run: RfmRun, *, lo: int, hi: int, provisional: Thresholds, changes: bool
) -> ChunkDone:
    """Measure the members with ids in [lo, hi) (see the module's doc), write them to the run's
    table with their provisional group, and take the change log's rows of the range. With
    `changes` (a finished run before this one), record the members whose provisional group
    differs from their group at that run.

    Returns the members written, with the chunk's group sizes per store (`counts`: rows of
    [store id, members of each group], members.rfm.groups.counts_sql), its active members
    (`active`, F >= 1) and the members measured from their orders (`measured`) as its detail,
    which the later steps add up: kept on the chunk, they commit with its writes, and parallel
    chunks never wait on one another's."""
    values = {
        **sql.params(run=run.pk, as_of=run.business_date, lo=lo, hi=hi, **measure_bounds(run)),
        **threshold_params(provisional),
    }
    insert = _insert_sql(run, group_case_sql(provisional, row="f"))
    with sql.local_time_zone(), connection.cursor() as cursor:
        if sql.is_postgres():
            cursor.execute(_statement_postgres(run, insert, changes=changes), values)
            counts, active, measured = cursor.fetchone()
            counts = json.loads(counts or "[]")
        else:
            counts, active, measured = _statements_sqlite(run, cursor, insert, values, changes)
    written = sum(sum(row[1:]) for row in counts)
    if measured is None:  # measured anew: every member with a counted order
        measured = written - sum(row[NO_PURCHASE_POSITION] for row in counts)
    detail = {"counts": counts, "measured": measured, "active": int(active or 0)}
    return ChunkDone(rows=written, detail=detail)


def _statement_postgres(run: RfmRun, insert: str, *, changes: bool) -> str:
    """One statement: take the change log's rows of the range (`taken`, the same snapshot as
    the orders read), write the chunk's rows (`w`) and, from the rows written, their change
    rows, group counts (as JSON) and active members; in a run from a base, the members measured
    again."""
    ctes = [f"taken AS (DELETE FROM {CHANGE_LOG} WHERE {IN_RANGE} RETURNING member_id)"]
    if run.base_id:
        ctes.append("touched AS MATERIALIZED (SELECT DISTINCT member_id FROM taken)")
        measured = "(SELECT count(*) FROM touched)"
    else:
        measured = "NULL"
    ctes.append(f'w AS ({insert} RETURNING member_id, "group", home_store_id, frequency)')
    if changes:
        ctes.append(f"w_changes AS ({changes_sql('w')} RETURNING 1)")
    counts = counts_json_sql("w")
    return f"WITH {', '.join(ctes)} SELECT g.counts, g.active, {measured} FROM ({counts}) g"


def _statements_sqlite(run: RfmRun, cursor, insert: str, values: dict, changes: bool):
    """SQLite has no data-modifying WITH: the insert, then the change rows and counts from the
    chunk's rows in the run's table, then the change log's rows of the range deleted (the
    insert holds the database's write lock until the chunk commits, so the log's rows it read
    are the ones deleted)."""
    measured = None
    if run.base_id:
        logged = f"SELECT COUNT(DISTINCT member_id) FROM {CHANGE_LOG} WHERE {IN_RANGE}"
        cursor.execute(logged, values)
        measured = cursor.fetchone()[0]
    cursor.execute(f"WITH touched AS ({_touched_sql()}) {insert}", values)
    table = connection.ops.quote_name(next_table_name(run))
    chunk_rows = f"(SELECT * FROM {table} WHERE {IN_RANGE})"
    if changes:
        cursor.execute(changes_sql(chunk_rows), values)
    cursor.execute(counts_sql(chunk_rows), values)
    rows = cursor.fetchall()
    cursor.execute(f"DELETE FROM {CHANGE_LOG} WHERE {IN_RANGE}", values)
    return [list(row[:-1]) for row in rows], sum(row[-1] for row in rows), measured


def _touched_sql() -> str:
    """The members of the range a run from a base measures again (see the module's doc): the
    change log's rows, taken in the same statement (PostgreSQL) or read before they are
    deleted (SQLite)."""
    logged = "taken" if sql.is_postgres() else f"{CHANGE_LOG} WHERE {IN_RANGE}"
    return f"SELECT DISTINCT member_id FROM {logged}"


def _insert_sql(run: RfmRun, case: str) -> str:
    """The chunk's members into the run's table: a plain insert, no conflict check (a chunk
    writes its range once, in the transaction that marks it finished)."""
    table = connection.ops.quote_name(next_table_name(run))
    return f"""
        INSERT INTO {table} (member_id, {", ".join(MEMBER_RFM_COLUMNS)})
        SELECT f.member_id, {sql.date_param("as_of")}, {case}, f.store_id,
               {", ".join(f"f.{column}" for column in FIGURE_COLUMNS)}
        FROM ({_members_sql(run)}) f
    """


def _members_sql(run: RfmRun) -> str:
    """Every member of the chunk with their home store and figures: measured (`d`, absent
    when they have no counted order) or, from a base, the base's (`cur`) for the members not
    measured again, R counted from this run's date."""
    if not run.base_id:
        figures = ", ".join(f"{_measured(column)} AS {column}" for column in FIGURE_COLUMNS)
        return f"""
            SELECT m.id AS member_id, m.home_store_id AS store_id, {figures}
            FROM members_member m
            LEFT JOIN ({_per_member()}) d ON d.member_id = m.id
            WHERE {in_chunk("m.id")}
        """
    figures = ", ".join(
        f"CASE WHEN t.member_id IS NULL THEN {_kept(column)} ELSE {_measured(column)} END"
        f" AS {column}"
        for column in FIGURE_COLUMNS
    )
    touched = "o.member_id IN (SELECT member_id FROM touched)"
    return f"""
        SELECT m.id AS member_id, m.home_store_id AS store_id, {figures}
        FROM members_member m
        LEFT JOIN touched t ON t.member_id = m.id
        LEFT JOIN ({_per_member(touched)}) d ON d.member_id = m.id
        LEFT JOIN members_memberrfm cur ON cur.member_id = m.id AND {in_chunk("cur.member_id")}
        WHERE {in_chunk("m.id")}
    """


def recency_sql(last_on: str) -> str:
    """R: whole days from the date `last_on` (of the latest counted order) to the run's date."""
    return sql.days_between(sql.date_param("as_of"), last_on)


def zero_when_none(column: str, expr: str) -> str:
    """A figure from `expr`, null when the member has no counted order: R, L and the dates stay
    null, the counts and sums are 0."""
    return f"COALESCE({expr}, 0)" if column in ZERO_WHEN_NONE else expr


def _measured(column: str, alias: str = "d") -> str:
    """A figure from a per-member row `alias` (absent: no counted order)."""
    computed = {
        "recency_days": recency_sql(f"{alias}.last_on"),
        "lifetime_days": sql.days_between(f"{alias}.last_on", f"{alias}.first_on"),
        "first_purchase_on": f"{alias}.first_on",
        "last_purchase_on": f"{alias}.last_on",
    }
    return zero_when_none(column, computed.get(column, f"{alias}.{column}"))


def _kept(column: str) -> str:
    """A figure of the base's (the live MemberRfm `cur`), R counted from this run's date."""
    base = recency_sql("cur.last_purchase_on") if column == "recency_days" else f"cur.{column}"
    return zero_when_none(column, base)


def _per_member(members: str = "TRUE", *, lo: str = "lo", hi: str = "hi") -> str:
    """Per member with ids in [%(lo)s, %(hi)s) with counted orders (and in `members`): the first
    and latest local payment dates, F and M over the window, the count and sum of all counted
    orders. Amounts are the orders' net cents (Order.net_cents, in the index read)."""
    in_window = "o.paid_at >= %(window_from)s"
    return f"""
        SELECT a.member_id, a.frequency, a.monetary, a.order_count, a.total_spent,
               {sql.local_date("a.first_at", zone_set=True)} AS first_on,
               {sql.local_date("a.last_at", zone_set=True)} AS last_on
        FROM (
            SELECT o.member_id,
                   MIN(o.paid_at) AS first_at,
                   MAX(o.paid_at) AS last_at,
                   COUNT(*) FILTER (WHERE {in_window}) AS frequency,
                   COALESCE({sql.money_from_cents(f"SUM(o.net_cents) FILTER (WHERE {in_window})")},
                            0) AS monetary,
                   COUNT(*) AS order_count,
                   {sql.money_from_cents("SUM(o.net_cents)")} AS total_spent
            FROM members_order o
            WHERE o.member_id >= %({lo})s AND o.member_id < %({hi})s AND ({members})
              AND o.paid_at < %(paid_before)s
              AND {sql.counted("o")}
            GROUP BY o.member_id
        ) a
    """


def sample_figures(run: RfmRun) -> tuple[str, dict]:
    """SQL for R, F and M of a sample of the members with counted orders (about SAMPLE_MEMBERS,
    in SAMPLE_RANGES id ranges spread over the members; every member when there are fewer),
    and its parameters: the source of a run's provisional thresholds when it has no base."""
    ranges = _sample_ranges()
    parts = [
        f"SELECT {_measured('recency_days')} AS recency_days, d.frequency, d.monetary"
        f" FROM ({_per_member(lo=f'lo{i}', hi=f'hi{i}')}) d"
        for i in range(len(ranges))
    ]
    values = sql.params(as_of=run.business_date, **measure_bounds(run))
    for i, (lo, hi) in enumerate(ranges):
        values |= {f"lo{i}": lo, f"hi{i}": hi}
    return " UNION ALL ".join(parts), values


def _sample_ranges() -> list[tuple[int, int]]:
    first = Member.objects.order_by("pk").values_list("pk", flat=True).first()
    last = Member.objects.order_by("-pk").values_list("pk", flat=True).first()
    if first is None:
        return [(0, 0)]
    span = last - first + 1
    if span <= SAMPLE_MEMBERS:
        return [(first, last + 1)]
    width = SAMPLE_MEMBERS // SAMPLE_RANGES
    step = span // SAMPLE_RANGES
    return [(first + i * step, first + i * step + width) for i in range(SAMPLE_RANGES)]
