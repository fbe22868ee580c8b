"""Orders on Postgres, set-based: one chunk of parsed rows in a handful of statements.

The cells were parsed and checked in Python (`cells.py`, row-local rules); here the chunk is
COPied into a temporary staging table, then one INSERT ... SELECT resolves every row at once (store
by code, guide by code, member by phone with their bound guide, the existing order), classifies
the rows the database refuses (the checks and their order are those of `OrderImporter.plan`) and
attributes the rest with `order_attribution_sql`, the SQL twin of `order_attribution`. One upsert
then writes the good rows: new orders are inserted; an existing one is updated only when a fact
changed, and its credit recomputed only when who bought, who sold or the channel changed.

The refused rows come back with their row numbers and are worded by the same functions as the
Python path, so both paths report the same bad rows with the same reasons.
"""

from django.db import connection
from django.utils import timezone

from members.models import Member, Order, Role, Store, User
from members.services import AttributionColumns, order_attribution_sql

from .base import Applied
from .cells import RowError
from .lookups import (
    GuideProblem,
    below_refunded_reason,
    guide_problem_reason,
    not_a_member_reason,
    unknown_store_reason,
)

STAGE = "import_order_stage"
RESOLVED = "import_order_resolved"

STORE_UNKNOWN = "store_unknown"
NOT_A_MEMBER = "not_a_member"
BELOW_REFUNDED = "below_refunded"

# What the upsert writes, per Order column; tests/imports/test_orders_sql.py checks that every
# concrete field of Order is here, so a new column cannot be silently left to its default.
ORDER_COLUMNS = (
    "store_id",
    "order_no",
    "member_id",
    "guide_id",
    "channel",
    "paid_at",
    "amount",
    "refunded_amount",
    "credited_store_id",
    "credited_guide_id",
    "created_at",
    "updated_at",
)
# A re-import changes these facts; the credit follows only the first three (ATTRIBUTION_INPUTS).
FACTS = ("member_id", "guide_id", "channel", "paid_at", "amount")
CREDIT_INPUTS = ("member_id", "guide_id", "channel")

_CREATE_TABLES = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    row integer, order_no text, phone text, store_code text, guide_code text,
    channel text, paid_at timestamptz, amount numeric(12, 2)
);
CREATE TEMP TABLE IF NOT EXISTS {RESOLVED} (
    row integer, order_no text, channel text, paid_at timestamptz, amount numeric(12, 2),
    store_id bigint, guide_id bigint, member_id bigint, refunded_amount numeric(12, 2),
    problem text, credited_store_id bigint, credited_guide_id bigint
);
TRUNCATE {STAGE}, {RESOLVED};
"""


def _resolve_sql() -> str:
    order, store, user, member = (model._meta.db_table for model in (Order, Store, User, Member))
    credited_store, credited_guide = order_attribution_sql(
        AttributionColumns(
            store="st.id",
            guide="g.id",
            channel="s.channel",
            member="m.id",
            member_guide="m.guide_id",
            member_guide_store="mg.store_id",
            member_home_store="m.home_store_id",
        )
    )
    return f"""
INSERT INTO {RESOLVED}
SELECT s.row, s.order_no, s.channel, s.paid_at, s.amount, st.id, g.id, m.id, o.refunded_amount,
    CASE
        WHEN st.id IS NULL THEN '{STORE_UNKNOWN}'
        WHEN s.guide_code IS NOT NULL AND g.id IS NULL THEN '{GuideProblem.UNKNOWN}'
        WHEN s.guide_code IS NOT NULL AND (g.role <> %(guide_role)s OR NOT g.is_active)
            THEN '{GuideProblem.NOT_A_GUIDE}'
        WHEN s.guide_code IS NOT NULL AND g.store_id IS DISTINCT FROM st.id
            THEN '{GuideProblem.OTHER_STORE}'
        WHEN s.phone IS NOT NULL AND m.id IS NULL THEN '{NOT_A_MEMBER}'
        WHEN o.refunded_amount > s.amount THEN '{BELOW_REFUNDED}'
    END,
    {credited_store},
    {credited_guide}
FROM {STAGE} s
LEFT JOIN {store} st ON st.code = s.store_code
LEFT JOIN {user} g ON g.guide_code = s.guide_code
LEFT JOIN {member} m ON m.phone = s.phone
LEFT JOIN {user} mg ON mg.id = m.guide_id
LEFT JOIN {order} o ON o.store_id = st.id AND o.order_no = s.order_no
"""


def _upsert_sql() -> str:
    table = Order._meta.db_table
    columns = ", ".join(ORDER_COLUMNS)
    facts_changed = _row_distinct(FACTS)
    credit_changed = _row_distinct(CREDIT_INPUTS)
    return f"""
WITH written AS (
    INSERT INTO {table} AS o ({columns})
    SELECT store_id, order_no, member_id, guide_id, channel, paid_at, amount, 0,
        credited_store_id, credited_guide_id, %(now)s, %(now)s
    FROM {RESOLVED}
    WHERE problem IS NULL
    ON CONFLICT (store_id, order_no) DO UPDATE SET
        {", ".join(f"{field} = EXCLUDED.{field}" for field in FACTS)},
        credited_store_id = CASE WHEN {credit_changed}
            THEN EXCLUDED.credited_store_id ELSE o.credited_store_id END,
        credited_guide_id = CASE WHEN {credit_changed}
            THEN EXCLUDED.credited_guide_id ELSE o.credited_guide_id END,
        updated_at = EXCLUDED.updated_at
    WHERE {facts_changed}
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""


def _row_distinct(fields) -> str:
    old = ", ".join(f"o.{field}" for field in fields)
    new = ", ".join(f"EXCLUDED.{field}" for field in fields)
    return f"(({old}) IS DISTINCT FROM ({new}))"


def apply_order_rows(rows: list) -> Applied:
    """Apply one chunk of parsed `OrderRow`s (inside the chunk's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_TABLES)
        _stage(cursor, rows)
        cursor.execute(_resolve_sql(), {"guide_role": Role.GUIDE})
        cursor.execute(
            f"SELECT row, problem, refunded_amount FROM {RESOLVED} WHERE problem IS NOT NULL"
        )
        problems = cursor.fetchall()
        cursor.execute(_upsert_sql(), {"now": timezone.now()})
        created, updated = cursor.fetchone()
    by_row = {row.row: row for row in rows}
    errors = [_error(by_row[number], problem, refunded) for number, problem, refunded in problems]
    return Applied(created, updated, errors)


def _stage(cursor, rows: list) -> None:
    copy_sql = (
        f"COPY {STAGE} (row, order_no, phone, store_code, guide_code, channel, paid_at, amount) "
        "FROM STDIN"
    )
    with cursor.copy(copy_sql) as copy:
        for r in rows:
            copy.write_row(
                (
                    r.row,
                    r.order_no,
                    r.phone,
                    r.store_code,
                    r.guide_code,
                    r.channel,
                    r.paid_at,
                    r.amount,
                )
            )
    # A temporary table has no statistics until analysed: without them the planner guesses a
    # handful of rows and probes the member and order indexes in nested loops it cannot size.
    cursor.execute(f"ANALYZE {STAGE}")


def _error(row, problem: str, refunded) -> RowError:
    """The bad row as the Python path words it (`OrderImporter.plan`)."""
    if problem == STORE_UNKNOWN:
        return RowError(row.row, "store_code", row.store_code, unknown_store_reason())
    if problem == NOT_A_MEMBER:
        return RowError(row.row, "phone", row.phone, not_a_member_reason())
    if problem == BELOW_REFUNDED:
        return RowError(row.row, "amount", str(row.amount), below_refunded_reason(refunded))
    return RowError(
        row.row, "guide_code", row.guide_code, guide_problem_reason(problem, row.store_code)
    )
