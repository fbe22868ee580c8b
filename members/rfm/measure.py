"""Step 1, `measure`: one pass over a chunk's orders writes its members' R, F, M, L (RfmStage).

Orders are filtered by timestamp bounds computed here (the start of local day D+1, the start of
local day D-W+1), so the database converts only each member's first and latest payment time to
a local date, never every order's.

A run measures its members in one of two ways, fixed when it opens (`RfmRun.base`):

- anew (no base: the first run, a changed window, after an unfinished run, or when asked): every
  member of the range with counted orders gets a stage row; a member without one has none;
- from a base (the last finished run, live in MemberRfm): only the members whose figures may
  differ from the base's get a stage row, a row for each of them (a member left with no counted
  order included): those in the order change log (MemberOrderChange: an order of theirs
  inserted, deleted or changed since the base measured them), where the run's opening also puts
  those with an order paid on a day entering the counted orders or leaving the window since the
  base's date (`dates_log`). Every other member keeps the base's figures, R counted from the
  run's date (members.rfm.classify).

Either way the chunk takes (deletes) the change log's rows of its range in the statement that
measures, so a change committed after that statement stays in the log for the next run.
"""

import datetime

from django.db import connection

from jobs.dates import local_day_start
from members.models import MemberOrderChange, RfmRun

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
ZERO_WHEN_NONE = {"frequency", "monetary", "order_count", "total_spent"}
CHANGE_LOG = MemberOrderChange._meta.db_table
IN_RANGE = "member_id >= %(lo)s AND member_id < %(hi)s"


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


def stage_write(run: RfmRun, *, lo: int, hi: int, every_member: bool = False) -> int:
    """Measure the members with ids in [lo, hi) (see the module's doc) and take the change
    log's rows of the range; returns the stage rows written. `every_member` (a run from a base
    only) writes a row for every member of the range."""
    values = sql.params(run=run.pk, as_of=run.business_date, lo=lo, hi=hi, **measure_bounds(run))
    with sql.local_time_zone(), connection.cursor() as cursor:
        cursor.execute(_stage_sql(run, every_member), values)
        if sql.is_postgres():
            return max(cursor.rowcount, 0)
        # SQLite: the insert holds the database's write lock until the chunk commits, so the
        # log's rows it read are the ones deleted after it.
        cursor.execute("SELECT changes()")  # the driver counts no rows for WITH ... INSERT
        written = cursor.fetchone()[0]
        cursor.execute(f"DELETE FROM {CHANGE_LOG} WHERE {IN_RANGE}", values)
        return written


def stage_ensure(run: RfmRun, *, lo: int, hi: int, measured: int) -> bool:
    """Re-measure [lo, hi) when its measure chunk wrote `measured` rows but the stage has none
    there: the stage is UNLOGGED on PostgreSQL (members 0010), and a crash of the database
    server empties it, the whole table at once (so a range has all its rows or none). The change
    log's rows the chunk took are gone with it, so a run from a base measures every member of
    the range. Returns whether the range was measured again."""
    if not measured or _stage_has_rows(run, lo=lo, hi=hi):
        return False
    stage_write(run, lo=lo, hi=hi, every_member=True)
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


def _stage_sql(run: RfmRun, every_member: bool) -> str:
    """The chunk's insert into the stage. On PostgreSQL it takes the change log's rows of the
    range first (`taken`, a data-modifying WITH: the same snapshot as the orders read)."""
    ctes = []
    if sql.is_postgres():
        ctes.append(f"taken AS (DELETE FROM {CHANGE_LOG} WHERE {IN_RANGE} RETURNING member_id)")
    insert = f"INSERT INTO members_rfmstage (run_id, member_id, {', '.join(STAGE_COLUMNS)})"
    if run.base_id:
        ctes.append(f"touched AS MATERIALIZED ({_touched_sql(every_member)})")
        select = f"""
            SELECT %(run)s, t.member_id, {_figures("d")}
            FROM touched t
            LEFT JOIN ({_per_member("o.member_id IN (SELECT member_id FROM touched)")}) d
                   ON d.member_id = t.member_id
        """
    else:
        select = f"SELECT %(run)s, d.member_id, {_figures('d')} FROM ({_per_member()}) d"
    with_ctes = f"WITH {', '.join(ctes)} " if ctes else ""
    return f"{with_ctes}{insert} {select}"


def _touched_sql(every_member: bool) -> str:
    """The members of the range a run from a base measures again (see the module's doc): the
    change log's rows taken (PostgreSQL), or read and deleted after the insert (SQLite)."""
    if every_member:
        return "SELECT id AS member_id FROM members_member WHERE id >= %(lo)s AND id < %(hi)s"
    logged = "taken" if sql.is_postgres() else f"{CHANGE_LOG} WHERE {IN_RANGE}"
    return f"SELECT DISTINCT member_id FROM {logged}"


def recency_sql(last_on: str) -> str:
    """R: whole days from the date `last_on` (of the latest counted order) to the run's date."""
    return sql.days_between(sql.date_param("as_of"), last_on)


def zero_when_none(column: str, expr: str) -> str:
    """A stage column's value from `expr`, null when the member has no counted order: R, L and
    the dates stay null, the counts and sums are 0."""
    return f"COALESCE({expr}, 0)" if column in ZERO_WHEN_NONE else expr


def _figures(alias: str) -> str:
    """The stage's columns from a per-member row `alias` (absent: no counted order)."""
    computed = {
        "recency_days": recency_sql(f"{alias}.last_on"),
        "lifetime_days": sql.days_between(f"{alias}.last_on", f"{alias}.first_on"),
        "first_purchase_on": f"{alias}.first_on",
        "last_purchase_on": f"{alias}.last_on",
    }
    return ", ".join(
        zero_when_none(column, computed.get(column, f"{alias}.{column}"))
        for column in STAGE_COLUMNS
    )


def _per_member(members: str = "TRUE") -> str:
    """Per member of the range with counted orders (and in `members`): the first and latest
    local payment dates, F and M over the window, the count and sum of all counted orders.
    Amounts are the orders' net cents (Order.net_cents, in the index read)."""
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
            WHERE o.{IN_RANGE} AND ({members})
              AND o.paid_at < %(paid_before)s
              AND {sql.counted("o")}
            GROUP BY o.member_id
        ) a
    """
