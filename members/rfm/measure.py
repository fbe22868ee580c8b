"""Step 1, `measure`: one pass over a chunk's orders writes each member's R, F, M, L (RfmStage).

Orders are filtered by timestamp bounds computed here (the start of local day D+1, the start of
local day D-W+1), so the database converts only each member's first and latest payment time to
a local date, never every order's.
"""

import datetime

from django.db import connection

from jobs.dates import local_day_start
from members.models import RfmRun

from . import sql

STAGE_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "lifetime_days",
    "first_purchase_on",
    "last_purchase_on",
    "order_count",
    "total_spent",
)


def measure_bounds(run: RfmRun) -> dict[str, datetime.datetime]:
    """Orders counted: paid before `paid_before`; in the F/M window when paid at or after
    `window_from`, i.e. on a local date in (D - W, D]."""
    as_of = run.business_date
    return {
        "paid_before": local_day_start(as_of + datetime.timedelta(days=1)),
        "window_from": local_day_start(as_of - datetime.timedelta(days=run.window_days - 1)),
    }


def stage_write(run: RfmRun, *, lo: int, hi: int) -> int:
    """Measure the members with ids in [lo, hi) that have counted orders; returns rows written."""
    values = sql.params(run=run.pk, as_of=run.business_date, lo=lo, hi=hi, **measure_bounds(run))
    with connection.cursor() as cursor:
        cursor.execute(_stage_sql(), values)
        return max(cursor.rowcount, 0)


def stage_ensure(run: RfmRun, *, lo: int, hi: int, measured: int) -> bool:
    """Re-measure [lo, hi) when its measure chunk wrote `measured` rows but the stage has none
    there: the stage is UNLOGGED on PostgreSQL (members 0010), and a crash of the database
    server empties it, the whole table at once (so a range has all its rows or none). Returns
    whether the range was measured again."""
    if not measured or _stage_has_rows(run, lo=lo, hi=hi):
        return False
    stage_write(run, lo=lo, hi=hi)
    return True


def _stage_has_rows(run: RfmRun, *, lo: int, hi: int) -> bool:
    query = """
        SELECT EXISTS (SELECT 1 FROM members_rfmstage
                       WHERE run_id = %(run)s AND member_id >= %(lo)s AND member_id < %(hi)s)
    """
    with connection.cursor() as cursor:
        cursor.execute(query, {"run": run.pk, "lo": lo, "hi": hi})
        return bool(cursor.fetchone()[0])


def stage_clear(run: RfmRun) -> None:
    """Empty the run's stage rows at its finish: TRUNCATE (no dead rows to vacuum) when no other
    run has rows there, else a DELETE of this run's."""
    with connection.cursor() as cursor:
        if sql.is_postgres():
            cursor.execute("LOCK TABLE members_rfmstage IN ACCESS EXCLUSIVE MODE")
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM members_rfmstage WHERE run_id <> %(run)s)",
                {"run": run.pk},
            )
            if not cursor.fetchone()[0]:
                cursor.execute("TRUNCATE members_rfmstage")
                return
        cursor.execute("DELETE FROM members_rfmstage WHERE run_id = %(run)s", {"run": run.pk})


def _stage_sql() -> str:
    net = "o.amount - o.refunded_amount"
    in_window = "o.paid_at >= %(window_from)s"
    # A plain insert: a range's stage rows are written by its measure chunk (whose transaction
    # holds its `finished` mark too) or by `stage_ensure`, and only where there are none.
    return f"""
        INSERT INTO members_rfmstage (run_id, member_id, {", ".join(STAGE_COLUMNS)})
        SELECT %(run)s, d.member_id,
               {sql.days_between(sql.date_param("as_of"), "d.last_on")},
               d.frequency, d.monetary,
               {sql.days_between("d.last_on", "d.first_on")},
               d.first_on, d.last_on, d.order_count, d.total_spent
        FROM (
            SELECT a.member_id, a.frequency, a.monetary, a.order_count, a.total_spent,
                   {sql.local_date("a.first_at")} AS first_on,
                   {sql.local_date("a.last_at")} AS last_on
            FROM (
                SELECT o.member_id,
                       MIN(o.paid_at) AS first_at,
                       MAX(o.paid_at) AS last_at,
                       COUNT(*) FILTER (WHERE {in_window}) AS frequency,
                       COALESCE({sql.money_sum(net, where=in_window)}, 0) AS monetary,
                       COUNT(*) AS order_count,
                       {sql.money_sum(net)} AS total_spent
                FROM members_order o
                WHERE o.member_id >= %(lo)s AND o.member_id < %(hi)s
                  AND o.paid_at < %(paid_before)s
                  AND o.refunded_amount < o.amount
                GROUP BY o.member_id
            ) a
        ) d
    """
