"""Step 3: classify a chunk of members (MemberRfm, group changes, the chunk's group counts)."""

import json

from django.db import connection

from jobs.models import JobChunk
from jobs.services import ChunkDone
from members.models import RfmRun

from . import sql
from .contract import Thresholds, group_case_sql, threshold_params
from .measure import STAGE_COLUMNS, recency_sql, zero_when_none
from .next_table import next_table_name

MEMBER_RFM_COLUMNS = ("as_of", '"group"', "home_store_id", *STAGE_COLUMNS)


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


def classify_chunk(run: RfmRun, *, lo: int, hi: int, changes: bool) -> ChunkDone:
    """Classify the members with ids in [lo, hi): write their rows to the run's MemberRfm table
    (`next_table`) and their group changes when `changes` (a finished run before this one).
    Returns the members written and the chunk's group sizes per store (`counts`: rows of
    [store id, group, members]), which the run's finish adds up (`group_counts_write`): kept on
    the chunk, they commit with its writes, and parallel chunks never wait on one another's.

    The changes and the counts are read from the rows written (member, group, home store): on
    PostgreSQL from the insert's RETURNING, in the same statement; on SQLite from the run's
    table after the insert. Materialising the classified rows for them instead cost about a
    quarter of the step (1M members, two workers: 4.5-5.7 s before, 3.2-3.8 s after;
    bench/regroup.py)."""
    thresholds = run_thresholds(run)
    values = {
        **sql.params(run=run.pk, as_of=run.business_date, lo=lo, hi=hi),
        **threshold_params(thresholds),
    }
    table = connection.ops.quote_name(next_table_name(run))
    insert = _member_rfm_insert_sql(
        table, _classified_sql(run, group_case_sql(thresholds, stage="f"))
    )
    with connection.cursor() as cursor:
        if sql.is_postgres():
            cursor.execute(classify_statement_postgres(insert, changes=changes), values)
            written, counts = cursor.fetchone()
            counts = json.loads(counts or "[]")
        else:
            cursor.execute(insert, values)
            written = max(cursor.rowcount, 0)
            chunk_rows = f"(SELECT * FROM {table} WHERE {in_chunk('member_id')})"
            if changes:
                cursor.execute(_changes_sql(chunk_rows), values)
            cursor.execute(_counts_sql(chunk_rows), values)
            counts = [list(row) for row in cursor.fetchall()]
    return ChunkDone(rows=written, detail={"counts": counts})


def classify_statement_postgres(insert: str, *, changes: bool) -> str:
    """One statement writes the chunk's MemberRfm rows and returns their number and the chunk's
    group counts (as JSON), from the rows the insert returns (`w`), which also give the change
    rows when `changes`."""
    ctes = [f'w AS ({insert} RETURNING member_id, "group", home_store_id)']
    if changes:
        ctes.append(f"w_changes AS ({_changes_sql('w')} RETURNING 1)")
    as_json = "json_agg(json_build_array(store_id, to_group, n))::text"
    counts = f"SELECT {as_json} FROM ({_counts_sql('w')}) g"
    return f"WITH {', '.join(ctes)} SELECT (SELECT count(*) FROM w), ({counts})"


def _counts_sql(rows: str) -> str:
    """The group sizes per store of the chunk's written `rows`: (store_id, to_group, n)."""
    return (
        f'SELECT home_store_id AS store_id, "group" AS to_group, count(*) AS n'
        f' FROM {rows} r GROUP BY home_store_id, "group"'
    )


def group_counts_write(run: RfmRun, *, step: str) -> None:
    """The run's group sizes per store (RfmGroupCount): the counts of its chunks of `step`
    (classify) added up, in one statement; the chunks' counts are then emptied (up to stores x
    groups entries a chunk, night after night, would otherwise pile up)."""
    chunks = JobChunk.objects.filter(run_id=run.job_run_id, step=step)
    chunk = JobChunk._meta.db_table
    query = f"""
        INSERT INTO members_rfmgroupcount (run_id, store_id, "group", members)
        SELECT %(run)s, CAST(x.value ->> 0 AS bigint), x.value ->> 1,
               SUM(CAST(x.value ->> 2 AS integer))
        FROM {chunk} c CROSS JOIN {sql.json_array_items("c.detail", "counts")} x
        WHERE c.run_id = %(job)s AND c.step = %(step)s
        GROUP BY CAST(x.value ->> 0 AS bigint), x.value ->> 1
    """
    with connection.cursor() as cursor:
        cursor.execute(query, {"run": run.pk, "job": run.job_run_id, "step": step})
    chunks.update(detail={})


def _classified_sql(run: RfmRun, case: str) -> str:
    """Every member of the chunk: their home store, their group at this run (`case`, over the
    figures `f`) and their figures: measured (the stage), else, in a run from a base, the
    base's (the live MemberRfm) with R counted from this run's date."""
    from_base = bool(run.base_id)
    figures = ", ".join(
        f"{_figure(column, from_base=from_base)} AS {column}" for column in STAGE_COLUMNS
    )
    base = (
        f"""
            LEFT JOIN members_memberrfm cur
                   ON cur.member_id = m.id AND {in_chunk("cur.member_id")}"""
        if from_base
        else ""
    )
    return f"""
        SELECT f.*, {case} AS to_group
        FROM (
            SELECT m.id AS member_id, m.home_store_id AS store_id, {figures}
            {CHUNK_MEMBERS}{base}
            WHERE {in_chunk("m.id")}
        ) f
    """


def _figure(column: str, *, from_base: bool) -> str:
    """The member's `column`: measured (the stage `s`), else, from a base, the base's (`cur`)
    with R counted from this run's date."""
    measured = zero_when_none(column, f"s.{column}")
    if not from_base:
        return measured
    base = recency_sql("cur.last_purchase_on") if column == "recency_days" else f"cur.{column}"
    return f"CASE WHEN s.member_id IS NULL THEN {zero_when_none(column, base)} ELSE {measured} END"


def _changes_sql(rows: str) -> str:
    """A change row for each of the chunk's written `rows` (member, group, home store) whose
    group differs from the member's at the last finished run, in the live MemberRfm until this
    run finishes (from blank: first grouped since). No conflict check: a chunk writes its change
    rows with its MemberRfm rows and its `finished` mark, in one transaction (a duplicate would
    fail the chunk, not pass silently)."""
    return f"""
        INSERT INTO members_rfmgroupchange (member_id, business_date, from_group, to_group,
                                            store_id)
        SELECT r.member_id, {sql.date_param("as_of")}, COALESCE(cur."group", ''), r."group",
               r.home_store_id
        FROM {rows} r
        LEFT JOIN members_memberrfm cur
               ON cur.member_id = r.member_id AND {in_chunk("cur.member_id")}
        WHERE COALESCE(cur."group", '') <> r."group"
    """


def _member_rfm_insert_sql(table: str, classified: str) -> str:
    """The chunk's members into the run's own MemberRfm table (quoted `table`): a plain insert,
    no conflict check (its chunk writes a range once, in the transaction that marks it
    finished)."""
    return f"""
        INSERT INTO {table} (member_id, {", ".join(MEMBER_RFM_COLUMNS)})
        SELECT c.member_id, {sql.date_param("as_of")}, c.to_group, c.store_id,
               {", ".join(STAGE_COLUMNS)}
        FROM ({classified}) c
    """
