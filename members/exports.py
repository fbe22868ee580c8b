"""CSV exports of members (INVARIANTS, personal data): the rules every export follows.

An export needs its own permission (`members.export_member`); phones are masked unless HQ asks
for full numbers; store staff get birthday month and day only; every cell is formula-escaped;
one ExportLog row and one audit row are written in the export's transaction before the first
byte is streamed; rows stream from a server-side cursor, so nothing big sits in memory.

`member_list_export` exports the member list with the portal's filters. It is capped at
MAX_ROWS: the count taken is bounded (`LIMIT MAX_ROWS + 1`), so HQ asking for every member of
the chain never counts the whole table, and a list over the cap is refused (narrow the filter)
rather than cut short, so the logged row count is the file's.
"""

import csv
from collections.abc import Iterator

from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import RuleViolation
from .filters import MemberFilter
from .imports.report import escape_formula
from .models import ExportLog, Level, User
from .phones import mask_phone

EXPORT_PERMISSION = "members.export_member"
MEMBER_LIST_KIND = "member_list"
MAX_ROWS = 100_000
COLUMNS = [
    ("pk", "会员ID"),
    ("name", "姓名"),
    ("phone", "手机号"),
    ("home_store__code", "门店编码"),
    ("home_store__name", "门店"),
    ("guide__first_name", "导购"),
    ("joined_at", "开卡日期"),
    ("birthday", "生日"),
    ("level", "等级"),
    ("rfm__order_count", "累计订单数"),
    ("rfm__total_spent", "累计消费"),
]


def may_export(user: User) -> bool:
    return user.has_perm(EXPORT_PERMISSION)


def export_check(actor: User, *, masked: bool) -> None:
    """Raise (403) unless the actor may export, and may export full phones when asked."""
    if not may_export(actor):
        message = _("您没有导出会员名单的权限。")
        raise RuleViolation("no_export_permission", message, status_code=403)
    if not masked and not actor.is_hq:
        message = _("只有总部可以导出完整手机号。")
        raise RuleViolation("full_phones_hq_only", message, status_code=403)


def export_log(
    *, actor: User, kind: str, filters: dict, rows: int, masked: bool, subject=None
) -> ExportLog:
    """The ExportLog row and the audit row of one export (about `subject`, else the log row).
    Call it inside the export's transaction. `filters` must hold no unmasked phone."""
    log = ExportLog.objects.create(
        actor=actor,
        store=actor.own_store,
        kind=kind,
        filters=filters,
        row_count=rows,
        masked=masked,
    )
    audit_record(
        actor=actor,
        obj=subject if subject is not None else log,
        event="export",
        kind=kind,
        rows=rows,
        masked=masked,
        filters=filters,
    )
    return log


class _Line:
    """csv.writer's file: hands back each written line."""

    def write(self, text: str) -> str:
        return text


def _cells(row: dict, *, masked: bool, full_birthday: bool) -> list[str]:
    row = dict(row)
    row["phone"] = mask_phone(row["phone"]) if masked else row["phone"]
    birthday = row["birthday"]
    if birthday is not None and not full_birthday:
        row["birthday"] = birthday.strftime("%m-%d")  # store staff see month and day only
    row["level"] = Level(row["level"]).label if row["level"] in Level.values else row["level"]
    return [escape_formula("" if row[key] is None else row[key]) for key, _label in COLUMNS]


def csv_lines(members, *, masked: bool, full_birthday: bool) -> Iterator[str]:
    """The CSV (UTF-8 with BOM, for Excel) of `members`, one line at a time, ordered by id."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([label for _key, label in COLUMNS])
    rows = members.order_by("pk").values(*(key for key, _label in COLUMNS))
    for row in rows.iterator(chunk_size=2000):
        yield writer.writerow(_cells(row, masked=masked, full_birthday=full_birthday))


def logged_filters(data) -> dict:
    """The filters as the user gave them, for the log: empty ones dropped, and a phone typed
    into the search masked (logs hold no unmasked phone; a four-digit tail is kept)."""
    shown = {name: data.get(name) for name in MemberFilter.base_filters if data.get(name)}
    term = shown.get("q", "").strip()
    if term.isdigit() and len(term) > 4:
        shown["q"] = mask_phone(term)
    return shown


@transaction.atomic
def member_list_export(
    *, members, filters: dict, masked: bool = True, actor: User
) -> tuple[ExportLog, Iterator[str]]:
    """The log row and CSV lines of `members`, a member list already filtered by the caller.

    The list is re-scoped to what the actor may see here, whatever the caller passed."""
    export_check(actor, masked=masked)
    members = members.visible_to(actor)
    rows = members[: MAX_ROWS + 1].count()
    if rows > MAX_ROWS:
        message = _("符合条件的会员超过 %(cap)s 位，请缩小筛选范围后再导出。") % {
            "cap": f"{MAX_ROWS:,}"
        }
        raise RuleViolation("export_too_big", message)
    log = export_log(actor=actor, kind=MEMBER_LIST_KIND, filters=filters, rows=rows, masked=masked)
    return log, csv_lines(members, masked=masked, full_birthday=actor.is_hq)
