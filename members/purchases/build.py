"""Rewriting a chunk of the purchase summary: set-based, the same SQL on PostgreSQL and SQLite.

A chunk covers the members with ids in [lo, hi). A full run rewrites all of them; a run that
brings a previous one forward first stages the members whose orders changed since that run began
(members.purchases.changes) and rewrites only those. Rewriting a member = deleting their rows and
inserting, per product, their latest counted order (not refunded in full) paid on or before the
as-of date, with its local date. Everything runs in the chunk's transaction (jobs.services).
"""

import datetime

from django.db import connection

from jobs.dates import local_day_start
from members.models import MemberPurchase, PurchaseStage, PurchaseSummaryRun
from members.rfm import sql

from .changes import members_to_recheck

STAGED = """
    SELECT st.member_id FROM members_purchasestage st
    WHERE st.run_id = %(run)s AND st.member_id >= %(lo)s AND st.member_id < %(hi)s
"""


def chunk_rewrite(run: PurchaseSummaryRun, *, lo: int, hi: int) -> int:
    """Rewrite the chunk's members (all of them, or those staged); returns the rows written."""
    values = sql.params(
        run=run.pk,
        lo=lo,
        hi=hi,
        paid_before=local_day_start(run.business_date + datetime.timedelta(days=1)),
    )
    if not run.full:
        _stage(run, lo=lo, hi=hi)
    only = "" if run.full else f"AND {{column}} IN ({STAGED})"
    with connection.cursor() as cursor:
        cursor.execute(_delete_sql(only.format(column="member_id")), values)
        cursor.execute(_insert_sql(only.format(column="o.member_id")), values)
        return max(cursor.rowcount, 0)


def _stage(run: PurchaseSummaryRun, *, lo: int, hi: int) -> None:
    """Stage the chunk's members whose rows the previous run may have left wrong."""
    previous = run.previous
    rows = MemberPurchase.objects.order_by().filter(member_id__gte=lo, member_id__lt=hi)
    members = members_to_recheck(previous, rows=rows, member_range=(lo, hi))
    select_sql, select_params = members.query.sql_with_params()
    table = PurchaseStage._meta.db_table
    with connection.cursor() as cursor:
        # "WHERE true" lets SQLite parse ON CONFLICT after INSERT ... SELECT.
        cursor.execute(
            f"INSERT INTO {table} (run_id, member_id) SELECT %s, changed.member_id "
            f"FROM ({select_sql}) AS changed WHERE true ON CONFLICT DO NOTHING",
            [run.pk, *select_params],
        )


def _delete_sql(only: str) -> str:
    return f"""
        DELETE FROM members_memberpurchase
        WHERE member_id >= %(lo)s AND member_id < %(hi)s {only}
    """


def _insert_sql(only: str) -> str:
    # The latest counted order per (member, product): ties on the instant go to the larger id.
    return f"""
        INSERT INTO members_memberpurchase (member_id, product_id, last_bought_on, last_order_id)
        SELECT x.member_id, x.product_id, {sql.local_date("x.paid_at")}, x.order_id
        FROM (
            SELECT o.member_id, l.product_id, o.paid_at, o.id AS order_id,
                   ROW_NUMBER() OVER (
                       PARTITION BY o.member_id, l.product_id ORDER BY o.paid_at DESC, o.id DESC
                   ) AS latest
            FROM members_order o
            JOIN members_orderline l ON l.order_id = o.id
            WHERE o.member_id >= %(lo)s AND o.member_id < %(hi)s
              AND o.paid_at < %(paid_before)s
              AND {sql.counted("o")}
              {only}
        ) x
        WHERE x.latest = 1
    """


def stage_clear(run: PurchaseSummaryRun) -> None:
    PurchaseStage.objects.filter(run=run).delete()
