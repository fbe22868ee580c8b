"""Reading one CSV cell: the parsers for each kind of value, and the row that collects errors.

Every parser takes the trimmed, non-empty text of a cell and returns the value or raises
`CellError` with the reason a user reads (in Chinese). `Cells.get` handles emptiness, so the
parsers never see an empty string.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from members.phones import MOBILE, PhoneError, normalize_phone

# Import files carry local business time; the chain runs on Beijing time whatever the server says.
BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
# Order.amount and OrderLine.amount are DecimalField(max_digits=12, decimal_places=2).
MAX_AMOUNT = Decimal("9999999999.99")
MAX_QUANTITY = 2_147_483_647
EARLIEST_YEAR = 1900

_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$"),
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# The form nearly every till and spreadsheet writes: 'YYYY-MM-DD HH:MM[:SS]'.
_COMMON_MOMENT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2})(?::(\d{2}))?")
_PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


class CellError(ValueError):
    """A cell's value is unusable; the message is the reason shown to the user."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad cell (or a whole bad row when `column` is empty), as the user sees it in Excel."""

    row: int
    column: str
    value: str
    reason: str


# --- Parsers ------------------------------------------------------------------------------------


def parse_phone(value: str) -> str:
    if len(value) == 11 and MOBILE.fullmatch(value):
        return value  # already normal (most rows): what normalize_phone would return
    try:
        return normalize_phone(value)
    except PhoneError as exc:
        raise CellError(str(exc)) from exc


def parse_date(value: str) -> date:
    """'2024-01-05', '2024/1/5' or '2024年1月5日'; nothing else is guessed."""
    for pattern in _DATE_FORMATS:
        if match := pattern.match(value):
            year, month, day = (int(part) for part in match.groups())
            try:
                parsed = date(year, month, day)
            except ValueError:
                raise CellError(_("日期“%(value)s”不存在。") % {"value": value}) from None
            if year < EARLIEST_YEAR:
                raise CellError(_("日期“%(value)s”早于 1900 年。") % {"value": value})
            return parsed
    raise CellError(_("日期格式无法识别，请使用 2024-01-05、2024/1/5 或 2024年1月5日。"))


def parse_past_date(value: str) -> date:
    parsed = parse_date(value)
    if parsed > timezone.localdate(timezone=BUSINESS_TZ):
        raise CellError(_("日期“%(value)s”晚于今天。") % {"value": value})
    return parsed


def parse_local_datetime(value: str) -> datetime:
    """Beijing time 'YYYY-MM-DD HH:MM[:SS]' (any accepted date form), or a date alone (00:00)."""
    return _common_moment(value) or _any_moment(value)


def _any_moment(value: str) -> datetime:
    date_part, _sep, time_part = value.partition(" ")
    day = parse_date(date_part)
    clock = _parse_time(time_part.strip()) if time_part.strip() else time(0, 0)
    moment = datetime.combine(day, clock, tzinfo=BUSINESS_TZ)
    if moment > timezone.now():
        raise CellError(_("时间“%(value)s”晚于当前时间。") % {"value": value})
    return moment


def _common_moment(value: str) -> datetime | None:
    """A shortcut for the common form when it is valid by `_any_moment`'s rules; anything else
    (other forms, and every error with its message) is left to `_any_moment`."""
    match = _COMMON_MOMENT.fullmatch(value)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=BUSINESS_TZ)
    except ValueError:
        return None
    return moment if year >= EARLIEST_YEAR and moment <= timezone.now() else None


def _parse_time(value: str) -> time:
    match = _TIME.match(value)
    if not match:
        raise CellError(_("时间格式无法识别，请使用 2024-01-05 14:30 或 2024-01-05 14:30:00。"))
    hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        return time(hour, minute, second)
    except ValueError:
        raise CellError(_("时间“%(value)s”不存在。") % {"value": value}) from None


def parse_amount(value: str) -> Decimal:
    """Yuan, not negative, at most two decimal places ('1,234.50' is accepted)."""
    text = value.replace(",", "") if _THOUSANDS.match(value) else value
    if text.startswith("-") and _PLAIN_NUMBER.match(text[1:]):
        raise CellError(_("金额不能为负数。"))
    if not _PLAIN_NUMBER.match(text):
        raise CellError(_("金额必须是数字，例如 302 或 302.50。"))
    amount = Decimal(text)
    if amount != amount.quantize(CENT):
        raise CellError(_("金额最多保留两位小数。"))
    if amount > MAX_AMOUNT:
        raise CellError(_("金额超出上限。"))
    return amount.quantize(CENT)


def parse_quantity(value: str) -> int:
    if not value.isdigit() or not value.isascii():
        raise CellError(_("数量必须是正整数。"))
    quantity = int(value)
    if not 0 < quantity <= MAX_QUANTITY:
        raise CellError(_("数量必须是正整数。"))
    return quantity


def choice_parser(spellings: dict[str, str], allowed: str) -> Callable[[str], str]:
    """A parser accepting the given spellings (case-insensitive), e.g. {'加盟': 'franchise'}."""
    lookup = {key.lower(): code for key, code in spellings.items()}

    def parse(value: str) -> str:
        try:
            return lookup[value.lower()]
        except KeyError:
            raise CellError(_("可选值为：%(allowed)s。") % {"allowed": allowed}) from None

    return parse


def text_choices_parser(choices) -> Callable[[str], str]:
    """A TextChoices parser: accepts each code and its Chinese label (加盟 → franchise)."""
    with translation.override("zh-hans"):
        spellings = {value: value for value in choices.values}
        spellings |= {str(label): value for value, label in choices.choices}
        allowed = "、".join(f"{value}（{label}）" for value, label in choices.choices)
    return choice_parser(spellings, allowed)


def text_parser(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellError(_("内容过长，最多 %(max)s 个字符。") % {"max": max_length})
        return value

    return parse


# --- A row --------------------------------------------------------------------------------------


class Cells:
    """One CSV record by column name (values already trimmed), collecting its cells' errors."""

    __slots__ = ("row", "values", "errors")

    def __init__(self, row: int, values: dict[str, str]):
        self.row = row
        self.values = values
        self.errors: list[RowError] = []

    def get(self, column: str, parse: Callable[[str], object], *, required=False, default=None):
        """The parsed value; `default` when empty (an error when required) or unparseable."""
        value = self.values.get(column, "")
        if not value:
            if required:
                self.fail(column, _("不能为空。"))
            return default
        if "\x00" in value:  # Postgres cannot store NUL; it only comes from a damaged file
            self.fail(column, _("含有无法保存的控制字符（NUL），文件可能已损坏。"))
            return default
        try:
            return parse(value)
        except CellError as exc:
            self.fail(column, str(exc))
            return default

    def fail(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.row, column, self.values.get(column, ""), reason))
