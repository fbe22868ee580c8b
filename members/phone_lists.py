"""A pasted phone list (手机号名单), for a coupon batch or a callback plan: read, normalised,
checked against the members the person pasting it may see, every bad line reported with its
reason; and the one filter that finds a list's members.

One number per line, or several separated by commas, semicolons or spaces. A line that is one
number written with spaces ("138 1234 5678", "+86 138-1234-5678") stays one number, and a line of
text stays one (rejected) entry. Rejected
numbers are stored masked: a store never learns from the list whether a number is another store's
member (the same reason, "不是本店会员", either way).
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from .errors import RuleViolation
from .models import Member
from .phones import PhoneError, mask_phone, normalize_phone

MAX_PHONES = 50_000
_SEPARATORS = re.compile(r"[,，;；、]")
_NUMBER = re.compile(r"^\+?\d[\d\-]*$")
SHOWN_CHARS = 30  # of a value that is not a phone, in the report


def phone_in_q(phones: list[str]) -> Q:
    """`phone IN (the list)` with the whole list as one parameter (a phone list may hold 50,000
    numbers; SQLite allows far fewer parameters per statement)."""
    if connection.vendor == "postgresql":
        return Q(phone__in=RawSQL("SELECT unnest(%s::varchar[])", [phones]))
    return Q(phone__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(phones)]))


def phones_of(text: str) -> list[str]:
    """The numbers of a stored list (one normalised phone per line)."""
    return [line for line in text.splitlines() if line]


@dataclass
class PhoneList:
    phones: dict[str, int] = field(default_factory=dict)  # normalised -> first line it is on
    rejected: list[dict] = field(default_factory=list)


def _is_phone(text: str) -> bool:
    try:
        normalize_phone(text)
    except PhoneError:
        return False
    return True


def _pieces(line: str) -> Iterator[str]:
    """The entries of one line: split on separators, and on spaces between numbers unless the
    spaces are inside one number; anything else (text) stays one entry."""
    for piece in _SEPARATORS.split(line):
        piece = piece.strip()
        tokens = piece.split()
        if not piece:
            continue
        if len(tokens) > 1 and not _is_phone(piece) and all(map(_NUMBER.match, tokens)):
            yield from tokens
        else:
            yield piece


def _entries(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        for piece in _pieces(line):
            yield number, piece


def _too_long() -> RuleViolation:
    return RuleViolation(
        "phone_list_too_long",
        _("名单最多 %(max)s 个手机号，请分成几批发放。") % {"max": f"{MAX_PHONES:,}"},
    )


def phone_list_parse(text: str) -> PhoneList:
    """Every entry normalised or rejected with its line; duplicates count once."""
    parsed = PhoneList()
    for count, (line, raw) in enumerate(_entries(text), start=1):
        if count > MAX_PHONES:
            raise _too_long()
        try:
            phone = normalize_phone(raw)
        except PhoneError as error:
            value = raw[:SHOWN_CHARS]
            parsed.rejected.append({"line": line, "value": value, "reason": str(error)})
        else:
            parsed.phones.setdefault(phone, line)
    return parsed


def phone_list_check(text: str, *, actor) -> tuple[list[str], list[dict]]:
    """(the numbers of members `actor` may see, the rejected lines in line order)."""
    if not (text or "").strip():
        raise RuleViolation("phone_list_empty", _("请粘贴手机号名单，每行一个手机号。"))
    parsed = phone_list_parse(text)
    phones = list(parsed.phones)
    visible = set(
        Member.objects.visible_to(actor).filter(phone_in_q(phones)).values_list("phone", flat=True)
    )
    reason = _("该手机号不是会员。") if actor.is_hq else _("该手机号不是本店会员。")
    strangers = [
        {"line": line, "value": mask_phone(phone), "reason": reason}
        for phone, line in parsed.phones.items()
        if phone not in visible
    ]
    rejected = sorted(parsed.rejected + strangers, key=lambda row: row["line"])
    return [phone for phone in phones if phone in visible], rejected
