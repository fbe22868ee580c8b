"""The groups a run writes: its members' group changes, its group sizes per store, and the
settle that turns the measure chunks' provisional groups into the run's (once the thresholds are
known, in the prepare chunk that takes them)."""

from django.db import connection

from jobs.models import JobChunk
from members.models import RfmGroup, RfmRun

from . import sql
from .contract import Thresholds, group_case_sql, groups_differ_sql, threshold_params
from .next_table import next_table_name

# The settle's work table: one row per member whose provisional group was wrong.
SETTLED = "members_rfm_settled"
# The groups, in the order of a chunk's group counts per store (`counts_sql`).
COUNTED_GROUPS = tuple(group.value for group in RfmGroup)


def in_chunk(column: str) -> str:
    return f"{column} >= %(lo)s AND {column} < %(hi)s"


def changes_sql(rows: str, *, group: str = '"group"', live_in_chunk: bool = True) -> str:
    """A change row for each of the written `rows` (member, `group`, home store) whose group
    differs from the member's at the last finished run, in the live MemberRfm until this run
    finishes (from blank: first grouped since). The live rows are joined over the chunk's range
    (`live_in_chunk`), or looked up one by one by key (a few thousand settled members: a join
    would read the whole live table). No conflict check: a chunk writes its change rows with
    its rows of the run's table and its `finished` mark, in one transaction, and the settle
    deletes a member's row before writing it again (a duplicate would fail, not pass
    silently)."""
    if live_in_chunk:
        live = 'cur."group"'
        in_range = in_chunk("cur.member_id")
        join = f"LEFT JOIN members_memberrfm cur ON cur.member_id = r.member_id AND {in_range}"
    else:
        live = '(SELECT cur."group" FROM members_memberrfm cur WHERE cur.member_id = r.member_id)'
        join = ""
    return f"""
        INSERT INTO members_rfmgroupchange (member_id, business_date, from_group, to_group,
                                            store_id)
        SELECT r.member_id, {sql.date_param("as_of")}, COALESCE({live}, ''), r.{group},
               r.home_store_id
        FROM {rows} r {join}
        WHERE COALESCE({live}, '') <> r.{group}
    """


def counts_sql(rows: str) -> str:
    """The group sizes per store of the written `rows`, a row per store: (store_id, then the
    members of each group in COUNTED_GROUPS' order, then the active members, F >= 1): a ninth
    of the entries a row per store and group took, in the chunk records and in the sum that
    adds every chunk's up, which reads chunks x stores of them (at 20M members, 200 chunks of
    1,500 stores: 300,000, not 2.7M). At 1M members that sum took 0.11-0.14 s either way
    (bench/regroup.py)."""
    counts = ", ".join(
        f"count(*) FILTER (WHERE \"group\" = '{group}') AS n{position}"
        for position, group in enumerate(COUNTED_GROUPS, start=1)
    )
    active = "count(*) FILTER (WHERE frequency >= 1) AS active"
    return (
        f"SELECT home_store_id AS store_id, {counts}, {active} FROM {rows} r GROUP BY home_store_id"
    )


def counts_json_sql(rows: str) -> str:
    """`counts_sql` of `rows` as one JSON array of arrays, without the active members, and the
    active members in all (PostgreSQL)."""
    columns = ", ".join(["store_id", *(f"n{p}" for p in range(1, len(COUNTED_GROUPS) + 1))])
    return (
        f"SELECT json_agg(json_build_array({columns}))::text AS counts, sum(active) AS active"
        f" FROM ({counts_sql(rows)}) g"
    )


def settle(run: RfmRun, thresholds: Thresholds, provisional: Thresholds, *, changes: bool) -> int:
    """Give every member of the run's table the group its figures have at the run's
    `thresholds`, in the transaction of the prepare chunk that took them: the rows whose
    provisional group (at the `provisional` thresholds the chunks wrote them with) differs take
    their group in one pass (over the rows whose group may differ, `groups_differ_sql`: at 1M
    members, 0.09 s instead of 0.11 s; none when the thresholds are the same), and go to the
    work table SETTLED (member, store, provisional group, group); with `changes`, their change
    rows are written again. Returns the members settled; `group_counts_write` reads the work
    table, `settled_drop` drops it."""
    differ, differ_params = groups_differ_sql(thresholds, provisional, row="n")
    if differ is None:
        return 0
    table = connection.ops.quote_name(next_table_name(run))
    case = group_case_sql(thresholds, row="n")
    values = {
        **sql.params(as_of=run.business_date),
        **threshold_params(thresholds),
        **threshold_params(provisional, prefix="provisional_"),
        **differ_params,
    }
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SETTLED}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {SETTLED} (member_id bigint PRIMARY KEY,"
            " home_store_id bigint, from_group varchar(24), to_group varchar(24))"
        )
        columns = f"INSERT INTO {SETTLED} (member_id, home_store_id, from_group, to_group)"
        if sql.is_postgres():
            # One pass, no join: a row's figures are unchanged, so its provisional group is the
            # provisional CASE of the updated row.
            was = group_case_sql(provisional, row="n", prefix="provisional_")
            cursor.execute(
                f"""WITH s AS (UPDATE {table} n SET "group" = {case}
                               WHERE ({differ}) AND n."group" <> {case}
                               RETURNING n.member_id, n.home_store_id, {was}, n."group")
                    {columns} SELECT * FROM s""",
                values,
            )
        else:
            cursor.execute(
                f"""{columns} SELECT n.member_id, n.home_store_id, n."group", {case}
                    FROM {table} n WHERE ({differ}) AND n."group" <> {case}""",
                values,
            )
            cursor.execute(
                f"""UPDATE {table} SET "group" = (SELECT s.to_group FROM {SETTLED} s
                                                  WHERE s.member_id = {table}.member_id)
                    WHERE member_id IN (SELECT member_id FROM {SETTLED})"""
            )
        settled = max(cursor.rowcount, 0)
        if settled and changes:
            cursor.execute(
                f"""DELETE FROM members_rfmgroupchange
                    WHERE business_date = {sql.date_param("as_of")}
                      AND member_id IN (SELECT member_id FROM {SETTLED})""",
                values,
            )
            cursor.execute(changes_sql(SETTLED, group="to_group", live_in_chunk=False), values)
    return settled


def group_counts_write(run: RfmRun, *, step: str, settled: int) -> None:
    """The run's group sizes per store (RfmGroupCount): the counts of its chunks of `step`
    added up, with the settled members (`settle`) moved from their provisional group to their
    group, in one statement. Readers see them once the run has finished
    (RfmGroupCount.objects.finished); the finish empties the chunks' details."""
    chunk = JobChunk._meta.db_table
    moved = (
        f""" UNION ALL SELECT home_store_id, from_group, -1 FROM {SETTLED}
             UNION ALL SELECT home_store_id, to_group, 1 FROM {SETTLED}"""
        if settled
        else ""
    )
    positions = " UNION ALL ".join(
        f"SELECT {position} AS position, '{group}' AS grp"
        for position, group in enumerate(COUNTED_GROUPS, start=1)
    )
    query = f"""
        INSERT INTO members_rfmgroupcount (run_id, store_id, "group", members)
        SELECT %(run)s, store_id, grp, SUM(n)
        FROM (
            SELECT CAST(x.value ->> 0 AS bigint) AS store_id, g.grp,
                   CAST(x.value ->> g.position AS integer) AS n
            FROM {chunk} c CROSS JOIN {sql.json_array_items("c.detail", "counts")} x
            CROSS JOIN ({positions}) g
            WHERE c.run_id = %(job)s AND c.step = %(step)s
            {moved}
        ) counted
        GROUP BY store_id, grp
        HAVING SUM(n) > 0
    """
    with connection.cursor() as cursor:
        cursor.execute(query, {"run": run.pk, "job": run.job_run_id, "step": step})


def settled_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SETTLED}")
