"""Export of a segment's members as CSV (INVARIANTS, personal data).

Needs its own permission (`members.export_member`), phones masked by default (only HQ may ask
for full numbers), every cell formula-escaped, scoped through visible_to, and one ExportLog row
plus one audit row written in one transaction before the first byte is streamed. Rows stream
from a server-side cursor, so a segment of a million members never sits in memory; the logged
row count is the count taken in that transaction.
"""

import csv
import datetime
from collections.abc import Iterator

from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..errors import RuleViolation
from ..imports.report import escape_formula
from ..models import ExportLog, Level, Segment, User
from ..phones import mask_phone
from .selectors import segment_members

EXPORT_KIND = "segment_members"
EXPORT_PERMISSION = "members.export_member"
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


def _lines(members, *, masked: bool, full_birthday: bool) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([label for _key, label in COLUMNS])
    for row in members.values(*(key for key, _label in COLUMNS)).iterator(chunk_size=2000):
        yield writer.writerow(_cells(row, masked=masked, full_birthday=full_birthday))


@transaction.atomic
def segment_members_export(
    *, segment: Segment, today: datetime.date, masked: bool = True, actor: User
) -> tuple[ExportLog, Iterator[str]]:
    """The log row and the CSV lines of the segment's members the actor may see."""
    if not may_export(actor):
        message = _("您没有导出会员名单的权限。")
        raise RuleViolation("no_export_permission", message, status_code=403)
    if not masked and not actor.is_hq:
        message = _("只有总部可以导出完整手机号。")
        raise RuleViolation("full_phones_hq_only", message, status_code=403)
    members = segment_members(segment, user=actor, today=today).order_by("pk")
    count = members.count()
    filters = {"segment": segment.pk, "name": segment.name, "as_of": today.isoformat()}
    log = ExportLog.objects.create(
        actor=actor,
        store=actor.own_store,
        kind=EXPORT_KIND,
        filters=filters,
        row_count=count,
        masked=masked,
    )
    audit_record(
        actor=actor, obj=segment, event="export", kind=EXPORT_KIND, rows=count, masked=masked
    )
    return log, _lines(members, masked=masked, full_birthday=actor.is_hq)
