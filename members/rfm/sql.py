"""The few SQL fragments that differ between PostgreSQL (production, CI) and SQLite (the demo).

Everything else in the engine's SQL is common to both. Statements use named parameters
(`%(name)s`), which Django's cursors accept on both vendors; `params()` adapts Python values the
way the ORM would, so a timestamp is compared in the form the column stores it.
"""

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def table_analyze(table: str) -> None:
    """Fresh planner statistics for a table a job has just rewritten in bulk, on PostgreSQL.

    Segment previews and materialisation read these tables right after the night's jobs; with
    no statistics yet (a first run, or autovacuum off or behind) the planner takes a million
    rows for a few thousand and picks nested loops: a store manager's "bought ... OR tag"
    preview took 1.1 s instead of 0.26 s at 1M members (bench/segment_preview.py).
    """
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def table_vacuum(table: str) -> None:
    """VACUUM (ANALYZE) a table a job has just rewritten in part, on PostgreSQL, when not inside
    a transaction (else only ANALYZE, e.g. in tests). Besides fresh statistics it marks the
    pages all-visible, so that readers get index-only scans: at 1M members HQ's "bought ..."
    preview took 1.41 s before and 0.69 s after (bench/segment_preview.py); EXPLAIN ANALYZE
    showed its read of the summary falling from 0.59 s (heap page by page) to 0.06 s."""
    if not is_postgres():
        return
    if connection.in_atomic_block:
        table_analyze(table)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def params(**values) -> dict:
    """Named parameters, adapted like the ORM adapts them (SQLite stores UTC text)."""
    ops = connection.ops
    adapted = {}
    for name, value in values.items():
        if isinstance(value, datetime.datetime):
            value = ops.adapt_datetimefield_value(value)
        elif isinstance(value, datetime.date):
            value = ops.adapt_datefield_value(value)
        adapted[name] = value
    return adapted


# pg_advisory_xact_lock key of the regroup's opening (exclusive) and measure chunks (shared).
REGROUP_LOCK_KEY = 720_301


def regroup_lock(*, shared: bool) -> None:
    """Until the transaction ends, on PostgreSQL: a run's opening waits for the measure chunks
    in progress, and they for it (SQLite runs one writing transaction at a time anyway)."""
    if is_postgres():
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s)", [REGROUP_LOCK_KEY])


def job_statement_settings() -> None:
    """Settings for the rest of a regroup transaction, on PostgreSQL.

    - synchronous_commit off: a chunk's writes commit with its `finished` mark, so a commit lost
      to a server crash loses both, and the re-run redoes the chunk; nothing outside the
      database depends on it. It saves a WAL flush wait per chunk.
    - jit off: compiling is paid anew in every chunk (and the threshold pass over the whole
      run's table crosses jit_above_cost), for simple scans and aggregates that gain little from it.
    - work_mem enough for the threshold sorts over a million members to stay in memory.
    """
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL synchronous_commit = off; SET LOCAL jit = off;"
                " SET LOCAL work_mem = '64MB'"
            )


def json_array_items(column: str, key: str) -> str:
    """A FROM item with a row per element of the JSON array at `key` of a JSON column; each
    element is `value` (read with ->> on both vendors)."""
    if not re.fullmatch(r"[a-z_]+", key):
        raise ValueError(f"Unexpected JSON key {key!r}.")
    if is_postgres():
        return f"jsonb_array_elements({column} -> '{key}')"
    return f"json_each({column}, '$.{key}')"


def date_param(name: str) -> str:
    """A date parameter usable in date arithmetic."""
    return f"CAST(%({name})s AS date)" if is_postgres() else f"%({name})s"


def local_date(expr: str, *, zone_set: bool = False) -> str:
    """The local (settings.TIME_ZONE) calendar date of a timestamp column expression.

    `zone_set`: the statement runs inside `local_time_zone()`, where PostgreSQL's plain cast to
    date is local. A measure chunk converts five timestamps per member, and AT TIME ZONE with a
    zone name looks the zone up for each. With the cast (and, in the same change, the amounts
    summed apart, since replaced by Order.net_cents) the measure step at 1M members, two
    workers, went from 2.88-3.02 s to 2.43-2.50 s (bench/regroup.py, three runs each).
    """
    if is_postgres():
        if zone_set:
            return f"CAST(({expr}) AS date)"
        return f"(({expr}) AT TIME ZONE '{_time_zone_name()}')::date"
    # SQLite keeps aware datetimes as UTC text. Asia/Shanghai has had a fixed +08:00 offset
    # (no daylight saving) since 1991, so a constant shift gives the local date exactly.
    if settings.TIME_ZONE != "Asia/Shanghai":
        raise ImproperlyConfigured("The SQLite RFM engine assumes TIME_ZONE = 'Asia/Shanghai'.")
    return f"date({expr}, '+8 hours')"


@contextmanager
def local_time_zone() -> Iterator[None]:
    """On PostgreSQL, the statements inside run with the session time zone TIME_ZONE (see
    `local_date`), in a savepoint of the caller's transaction. The connection's own zone (UTC)
    is set back on the way out: Django reads timestamps as in that zone, so an ORM read after
    this, in the same transaction, would otherwise be off by the offset. On an error the
    savepoint's rollback undoes the setting."""
    if not is_postgres():
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [_time_zone_name()])
        yield
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [connection.timezone_name])


def days_between(later: str, earlier: str) -> str:
    """Whole days from the date `earlier` to the date `later`."""
    if is_postgres():
        return f"(({later}) - ({earlier}))"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def counted(order: str) -> str:
    """The order of alias `order` still counts: members.models.counted_q in SQL."""
    return f"{order}.net_cents > 0"


def money_from_cents(expr: str) -> str:
    """A whole number of cents (an integer SQL expression, e.g. a SUM of Order.net_cents) as
    yuan with 2 places, exactly on both vendors."""
    if is_postgres():
        return f"(CAST(({expr}) AS numeric) / 100)"
    return f"(({expr}) / 100.0)"


def cents(expr: str) -> str:
    """A money expression as a whole number of cents (orders like the money itself)."""
    if is_postgres():
        # bigint, not numeric: the M median sorts a million of them.
        return f"CAST(({expr}) * 100 AS bigint)"
    return f"CAST(ROUND(({expr}) * 100) AS INTEGER)"


def _time_zone_name() -> str:
    name = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_+/-]+", name):
        raise ImproperlyConfigured(f"Unexpected TIME_ZONE {name!r}.")
    return name
