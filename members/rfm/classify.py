"""Step 3: classify a chunk of members (group changes, MemberRfm, the run's group counts)."""

from django.db import connection

from members.models import RfmRun

from . import sql
from .contract import Thresholds, group_case_sql, threshold_params
from .measure import STAGE_COLUMNS

MEMBER_RFM_COLUMNS = ("as_of", '"group"', *STAGE_COLUMNS)


def in_chunk(column: str) -> str:
    return f"{column} >= %(lo)s AND {column} < %(hi)s"


# Every member of the chunk, with their measured row when they have counted orders. The joined
# tables get the chunk's range too: the planner does not carry a range across a join, and would
# otherwise scan the whole stage (or MemberRfm) once per chunk.
CHUNK_MEMBERS = f"""
    FROM members_member m
    LEFT JOIN members_rfmstage s
           ON s.run_id = %(run)s AND s.member_id = m.id AND {in_chunk("s.member_id")}
"""


def run_thresholds(run: RfmRun) -> Thresholds:
    return Thresholds(r=run.r_threshold, f=run.f_threshold, m=run.m_threshold)


def classify_chunk(run: RfmRun, *, lo: int, hi: int) -> int:
    """Record the group changes of the members with ids in [lo, hi), upsert their MemberRfm and
    add them to the run's group counts; returns the number of members written. Run inside the
    chunk's transaction, whose commit makes the chunk's share of the counts final."""
    thresholds = run_thresholds(run)
    values = {
        **sql.params(run=run.pk, as_of=run.business_date, lo=lo, hi=hi),
        **threshold_params(thresholds),
    }
    classified = _classified_sql(group_case_sql(thresholds, stage="s"))
    with connection.cursor() as cursor:
        if not sql.is_postgres():
            cursor.execute(f"WITH c AS ({classified}) {_changes_sql()}", values)
            cursor.execute(f"WITH c AS ({classified}) {_member_rfm_update_sql()}", values)
            written = max(cursor.rowcount, 0)
            cursor.execute(f"WITH c AS ({classified}) {_member_rfm_insert_sql()}", values)
            written += max(cursor.rowcount, 0)
            cursor.execute(f"WITH c AS ({classified}) {_counts_add_sql(f'({COUNTS})')}", values)
            return written
        cursor.execute(classify_statement_postgres(classified), values)
        written, counts = cursor.fetchone()
        values["counts"] = counts or "[]"
        cursor.execute(_counts_add_sql(COUNTS_FROM_JSON), values)
        return written


def classify_statement_postgres(classified: str) -> str:
    """One statement joins and classifies the chunk's members once, for the change rows,
    MemberRfm and the chunk's group counts (handed back, to be added after it: a parallel
    chunk then waits on the counts' rows only for this chunk's commit)."""
    return (
        f"WITH c AS MATERIALIZED ({classified}), changed AS ({_changes_sql()}),"
        f" inserted AS ({_member_rfm_insert_sql()} RETURNING 1),"
        f" updated AS ({_member_rfm_update_sql()} RETURNING 1)"
        f" SELECT (SELECT count(*) FROM inserted) + (SELECT count(*) FROM updated),"
        f" ({COUNTS_JSON})"
    )


# The chunk's group sizes per store: rows of (store_id, to_group, n).
COUNTS = "SELECT store_id, to_group, count(*) AS n FROM c GROUP BY store_id, to_group"
# The same as one JSON value, and read back (PostgreSQL).
COUNTS_JSON = f"SELECT json_agg(json_build_array(store_id, to_group, n))::text FROM ({COUNTS}) g"
COUNTS_FROM_JSON = """(
    SELECT (x ->> 0)::bigint AS store_id, x ->> 1 AS to_group, (x ->> 2)::int AS n
    FROM json_array_elements(%(counts)s::json) x
)"""


def _counts_add_sql(counts: str) -> str:
    """Add a chunk's `counts` to the run's, in key order, so that parallel chunks take the
    rows' locks in one order."""
    return f"""
        INSERT INTO members_rfmgroupcount (run_id, store_id, "group", members)
        SELECT %(run)s, g.store_id, g.to_group, g.n
        FROM {counts} g
        WHERE true
        ORDER BY g.store_id, g.to_group
        ON CONFLICT (run_id, store_id, "group")
        DO UPDATE SET members = members_rfmgroupcount.members + excluded.members
    """


def _classified_sql(case: str) -> str:
    """Every member of the chunk: their current group (blank when they have none), the date
    it is as of, their group at this run and their measured figures."""
    return f"""
        SELECT m.id AS member_id, m.home_store_id AS store_id, cur.as_of AS current_as_of,
               COALESCE(cur."group", '') AS from_group, {case} AS to_group,
               s.recency_days, COALESCE(s.frequency, 0) AS frequency,
               COALESCE(s.monetary, 0) AS monetary, s.lifetime_days, s.first_purchase_on,
               s.last_purchase_on, COALESCE(s.order_count, 0) AS order_count,
               COALESCE(s.total_spent, 0) AS total_spent
        {CHUNK_MEMBERS}
        LEFT JOIN members_memberrfm cur ON cur.member_id = m.id AND {in_chunk("cur.member_id")}
        WHERE {in_chunk("m.id")}
    """


def _changes_sql() -> str:
    """A change row for each member whose group differs from their current one. A MemberRfm
    already at this date means this run wrote it: no change. No conflict check: a chunk writes
    its change rows and MemberRfm in one transaction, so a change row at this date exists only
    beside a MemberRfm at this date (a duplicate would fail the chunk, not pass silently)."""
    return f"""
        INSERT INTO members_rfmgroupchange (member_id, business_date, from_group, to_group,
                                            store_id)
        SELECT c.member_id, {sql.date_param("as_of")}, c.from_group, c.to_group, c.store_id
        FROM c
        WHERE (c.current_as_of IS NULL OR c.current_as_of < %(as_of)s)
          AND c.from_group <> c.to_group
    """


def _member_rfm_insert_sql() -> str:
    """MemberRfm for the chunk's members who have none yet: a plain insert, no conflict check
    (a first run writes every member this way; only the regroup writes MemberRfm, one worker
    per chunk)."""
    return f"""
        INSERT INTO members_memberrfm (member_id, {", ".join(MEMBER_RFM_COLUMNS)})
        SELECT c.member_id, {sql.date_param("as_of")}, c.to_group, {", ".join(STAGE_COLUMNS)}
        FROM c
        WHERE c.current_as_of IS NULL
    """


def _member_rfm_update_sql() -> str:
    """MemberRfm brought to this run for the chunk's members who have one (never backwards)."""
    updates = ", ".join(
        [f"as_of = {sql.date_param('as_of')}", '"group" = c.to_group']
        + [f"{column} = c.{column}" for column in STAGE_COLUMNS]
    )
    return f"""
        UPDATE members_memberrfm SET {updates}
        FROM c
        WHERE members_memberrfm.member_id = c.member_id AND c.current_as_of <= %(as_of)s
    """
