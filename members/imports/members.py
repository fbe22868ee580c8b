"""Members: `phone,name,gender,birthday,joined_at,store_code,guide_code,source`, keyed by phone.

Imports never change who owns a member: a phone already owned by another store, or bound to
another guide, is a bad row (ownership changes go through member_rebind, which is audited). An
empty optional cell (name, gender, birthday, guide_code, source) leaves an existing member's
value as it is; it never erases. joined_at (开卡日期) is required: it drives tenure and
recruitment figures, so it is never guessed as "today".
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Gender, ImportKind, Member, Source

from .base import Importer, Plan
from .cells import (
    Cells,
    choice_parser,
    parse_past_date,
    parse_phone,
    text_choices_parser,
    text_parser,
)
from .lookups import by_key, guide_problem, guides_by_code, stores_by_code, unknown_store_reason

parse_gender = choice_parser(
    {"M": Gender.MALE, "F": Gender.FEMALE, "男": Gender.MALE, "女": Gender.FEMALE},
    "M、F、男、女（或留空）",
)


@dataclass(slots=True)
class MemberRow:
    row: int
    phone: str | None
    name: str
    gender: str
    birthday: date | None
    joined_at: date | None
    store_code: str | None
    guide_code: str | None
    source: str | None


class MemberImporter(Importer):
    kind = ImportKind.MEMBERS
    model = Member
    columns = (
        "phone",
        "name",
        "gender",
        "birthday",
        "joined_at",
        "store_code",
        "guide_code",
        "source",
    )
    key_column = "phone"
    update_fields = ("name", "gender", "birthday", "joined_at", "source", "updated_at")

    def __init__(self):
        self.parse_source = text_choices_parser(Source)

    def parse(self, cells: Cells) -> MemberRow:
        return MemberRow(
            row=cells.row,
            phone=cells.get("phone", parse_phone, required=True),
            name=cells.get("name", text_parser(50), default=""),
            gender=cells.get("gender", parse_gender, default=""),
            birthday=cells.get("birthday", parse_past_date),
            joined_at=cells.get("joined_at", parse_past_date, required=True),
            store_code=cells.get("store_code", text_parser(32), required=True),
            guide_code=cells.get("guide_code", text_parser(32)),
            source=cells.get("source", self.parse_source),
        )

    def key(self, row: MemberRow):
        return (row.phone,) if row.phone else None

    def plan(self, rows: list[MemberRow]) -> Plan:
        plan = Plan()
        stores = stores_by_code(r.store_code for r in rows)
        guides = guides_by_code(r.guide_code for r in rows)
        existing = by_key(
            Member.objects.filter(phone__in=[r.phone for r in rows])
            .select_related("home_store", "guide")
            .only(*self.update_fields, "phone", "home_store__code", "guide__guide_code"),
            "phone",
        )
        now = timezone.now()
        for row in rows:
            store = stores.get(row.store_code)
            if store is None:
                plan.reject(row.row, "store_code", row.store_code, unknown_store_reason())
                continue
            guide = guides.get(row.guide_code) if row.guide_code else None
            if row.guide_code and (problem := guide_problem(guide, store)):
                plan.reject(row.row, "guide_code", row.guide_code, problem)
                continue
            member = existing.get(row.phone)
            if member is None:
                plan.create.append(_new_member(row, store, guide))
            elif problem := _ownership_problem(member, store, guide):
                plan.reject(row.row, *problem)
            elif _apply_changes(member, row):
                member.updated_at = now
                plan.update.append(member)
        return plan


def _new_member(row: MemberRow, store, guide) -> Member:
    return Member(
        phone=row.phone,
        name=row.name,
        gender=row.gender,
        birthday=row.birthday,
        joined_at=row.joined_at,
        home_store=store,
        guide=guide,
        source=row.source or Source.IMPORT,
    )


def _ownership_problem(member: Member, store, guide) -> tuple[str, str, str] | None:
    """(column, value, reason) when the row would move the member to another store or guide."""
    if member.home_store_id != store.pk:
        reason = _(
            "该手机号已是门店 %(store)s 的会员，导入不会转移会员归属；如确需转店，"
            "请由总部在会员页面办理改绑。"
        ) % {"store": member.home_store.code}
        return "store_code", store.code, reason
    if guide is not None and guide.pk != member.guide_id:
        current = member.guide.guide_code if member.guide_id else _("（未绑定导购）")
        reason = _(
            "该会员当前的专属导购是 %(current)s，导入不会更改绑定；如需改绑，"
            "请在门店端的会员详情页重新绑定导购。"
        ) % {"current": current}
        return "guide_code", guide.guide_code, reason
    return None


def _apply_changes(member: Member, row: MemberRow) -> bool:
    """Copy the row's non-empty values onto the member; True when anything changed."""
    wanted = {
        "name": row.name or member.name,
        "gender": row.gender or member.gender,
        "birthday": row.birthday or member.birthday,
        "joined_at": row.joined_at,
        "source": row.source or member.source,
    }
    changed = False
    for field, value in wanted.items():
        if getattr(member, field) != value:
            setattr(member, field, value)
            changed = True
    return changed
