"""The expiry reminder's messages written in one statement per chunk (INSERT ... SELECT ...
GROUP BY member ... ON CONFLICT DO NOTHING), with the SMS body rendered by the database.

The template's literal text goes in as parameters; each placeholder becomes an SQL expression
over the member's reminded coupons. The few expressions that differ between Postgres and SQLite
(the demo) sit in `DIALECTS`; `reminder_body` is the same rendering in Python, and a test holds
the two equal on both databases.
"""

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from members.models import Member
from messaging.models import Channel, MessageKind, OutboxMessage, OutboxStatus
from messaging.sms import sms_render, template_parts

from ..models import Coupon, CouponStatus

_PG_TOTAL = "SUM(c.face_value)"
_LITE_TOTAL = "ROUND(SUM(c.face_value), 2)"  # SQLite sums money as floating point
DIALECTS = {
    "postgresql": {
        "name": "m.name",
        "count": "CAST(COUNT(c.id) AS text)",
        # 90.00 -> "90", 12.50 -> "12.50"
        "face_total": (
            f"CASE WHEN {_PG_TOTAL} = TRUNC({_PG_TOTAL}) THEN CAST(CAST({_PG_TOTAL} AS bigint) "
            f"AS text) ELSE TO_CHAR({_PG_TOTAL}, 'FM999999999990.00') END"
        ),
        "valid_until": (
            "CAST(EXTRACT(MONTH FROM MIN(c.valid_until)) AS integer) || '月' || "
            "CAST(EXTRACT(DAY FROM MIN(c.valid_until)) AS integer) || '日'"
        ),
        "payload": "jsonb_build_object('coupon_ids', jsonb_agg(c.id ORDER BY c.id))",
    },
    "sqlite": {
        "name": "m.name",
        "count": "CAST(COUNT(c.id) AS TEXT)",
        "face_total": (
            f"CASE WHEN {_LITE_TOTAL} = CAST({_LITE_TOTAL} AS INTEGER) THEN "
            f"CAST(CAST({_LITE_TOTAL} AS INTEGER) AS TEXT) ELSE printf('%%.2f', {_LITE_TOTAL}) END"
        ),
        "valid_until": (
            "CAST(strftime('%%m', MIN(c.valid_until)) AS INTEGER) || '月' || "
            "CAST(strftime('%%d', MIN(c.valid_until)) AS INTEGER) || '日'"
        ),
        # Ids in the order SQLite aggregates them (no ORDER BY in aggregates before 3.44).
        "payload": "json_object('coupon_ids', json_group_array(c.id))",
    },
}


def money_text(amount: Decimal) -> str:
    """Yuan as an SMS shows them: whole amounts without decimals, others with two."""
    return str(int(amount)) if amount == amount.to_integral_value() else f"{amount:.2f}"


def month_day_text(day: datetime.date) -> str:
    return f"{day.month}月{day.day}日"


def reminder_body(
    template: str, *, name: str, count: int, face_total: Decimal, valid_until: datetime.date
) -> str:
    """The body the database writes for these values (previews, tests)."""
    values = {
        "name": name,
        "count": count,
        "face_total": money_text(face_total),
        "valid_until": month_day_text(valid_until),
    }
    return sms_render(template, values)


def _body_sql(template: str, dialect: dict) -> tuple[str, list]:
    pieces, params = [], []
    for literal, field in template_parts(template.strip()):
        if literal:
            pieces.append("%s")
            params.append(literal)
        if field is not None:
            pieces.append(f"({dialect[field]})")
    return " || ".join(pieces) or "''", params


def reminder_messages_insert(
    *, template: str, on: datetime.date, window_end: datetime.date, lo: int, hi: int
) -> int:
    """One pending SMS per member of [lo, hi) holding unused coupons reminded on `on` (and
    expiring by `window_end`), covering all of them; a message already there is kept."""
    dialect = DIALECTS[connection.vendor]
    body, body_params = _body_sql(template, dialect)
    q = connection.ops.quote_name
    outbox, coupon = OutboxMessage._meta, Coupon._meta
    columns = ", ".join(
        q(outbox.get_field(name).column)
        for name in ["member", "kind", "due_date", "channel", "marketing", "body", "payload"]
        + ["status", "skip_reason", "attempts", "last_error", "created_at", "updated_at"]
    )
    now = timezone.now()
    coupons, members = q(coupon.db_table), q(Member._meta.db_table)
    sql = (
        f"INSERT INTO {q(outbox.db_table)} ({columns}) "
        f"SELECT c.member_id, %s, %s, %s, %s, {body}, {dialect['payload']}, %s, '', 0, '', %s, %s "
        f"FROM {coupons} c INNER JOIN {members} m ON m.id = c.member_id "
        "WHERE c.status = %s AND c.valid_until >= %s AND c.valid_until <= %s "
        "AND c.reminded_on = %s AND c.member_id >= %s AND c.member_id < %s "
        "GROUP BY c.member_id, m.name "
        "ON CONFLICT DO NOTHING"
    )
    # In the order of the placeholders: the SELECT list's (the body's among them), the WHERE's.
    params = [MessageKind.COUPON_EXPIRY, on, Channel.SMS, True, *body_params]
    params += [OutboxStatus.PENDING, now, now]
    params += [CouponStatus.ISSUED, on, window_end, on, lo, hi]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
