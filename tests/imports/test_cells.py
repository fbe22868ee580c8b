"""The cell parsers: what is accepted, and what is refused with a reason."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from members.imports.cells import (
    CellError,
    parse_amount,
    parse_date,
    parse_local_datetime,
    parse_past_date,
    parse_phone,
    parse_quantity,
)


@pytest.mark.parametrize(
    "text", ["2024-01-05", "2024/1/5", "2024年1月5日", "2024/01/05", "2024-1-5"]
)
def test_the_three_date_forms_are_accepted(text):
    assert parse_date(text) == date(2024, 1, 5)


@pytest.mark.parametrize(
    "text",
    [
        "01/05/2024",
        "5/1/2024",
        "20240105",
        "2024.1.5",
        "45296",
        "2024-01",
        "2024-01-05 10:00",
        "明天",
    ],
)
def test_other_date_forms_are_refused_not_guessed(text):
    with pytest.raises(CellError, match="日期格式无法识别"):
        parse_date(text)


def test_a_date_that_does_not_exist_is_refused():
    with pytest.raises(CellError, match="不存在"):
        parse_date("2023-02-29")


def test_a_future_date_is_refused_where_only_past_dates_make_sense():
    with pytest.raises(CellError, match="晚于今天"):
        parse_past_date("2999-01-01")


def test_paid_at_is_beijing_time():
    assert parse_local_datetime("2024-01-05 14:30") == datetime(2024, 1, 5, 6, 30, tzinfo=UTC)
    assert parse_local_datetime("2024/1/5 14:30:15") == datetime(2024, 1, 5, 6, 30, 15, tzinfo=UTC)


def test_paid_at_as_a_date_means_midnight_in_beijing():
    assert parse_local_datetime("2024年1月5日") == datetime(2024, 1, 4, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-01-05 25:00", "2024-01-05 14h30", "2024-01-05 14:30 PM"])
def test_a_bad_time_is_refused(text):
    with pytest.raises(CellError):
        parse_local_datetime(text)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
    ],
)
def test_phones_are_normalised(text, phone):
    assert parse_phone(text) == phone


@pytest.mark.parametrize("text", ["1.38E+10", "1.3812345678e10", "13812345678.0"])
def test_excel_scientific_notation_is_refused_never_guessed(text):
    with pytest.raises(CellError, match="科学计数法"):
        parse_phone(text)


@pytest.mark.parametrize("text", ["12345678901", "1381234567", "138123456789", "abc"])
def test_a_number_that_is_not_a_mainland_mobile_is_refused(text):
    with pytest.raises(CellError, match="不是有效的中国大陆手机号"):
        parse_phone(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("302", "302.00"),
        ("302.5", "302.50"),
        ("302.50", "302.50"),
        ("0", "0.00"),
        ("1,234.50", "1234.50"),
        ("1.500", "1.50"),
    ],
)
def test_amounts_are_decimals_in_yuan(text, amount):
    assert parse_amount(text) == Decimal(amount)


def test_an_amount_with_three_decimal_places_is_refused():
    with pytest.raises(CellError, match="两位小数"):
        parse_amount("12.345")


def test_a_negative_amount_is_refused():
    with pytest.raises(CellError, match="不能为负数"):
        parse_amount("-5.00")


@pytest.mark.parametrize("text", ["abc", "¥302", "3.02E+2", "1,2", "302元", "12.", ".5"])
def test_an_amount_that_is_not_a_number_is_refused(text):
    with pytest.raises(CellError, match="必须是数字"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["0", "-1", "1.5", "二", "２"])
def test_a_quantity_must_be_a_positive_integer(text):
    with pytest.raises(CellError, match="正整数"):
        parse_quantity(text)


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-05 14:30",
        "2024-1-5 9:05:07",
        "2024-02-29 23:59:59",
        "2023-02-29 10:00",
        "2024-01-05 24:00",
        "2024-01-05 10:60",
        "2024-01-05 10:00:60",
        "1899-12-31 10:00",
        "2999-01-01 00:00",
        "２０２４-01-05 10:00",
        "2024-01-05  10:00",
    ],
)
def test_the_shortcut_for_common_moments_agrees_with_the_general_rules(value):
    from members.imports.cells import CellError, _any_moment, _common_moment

    try:
        expected = _any_moment(value)
    except CellError:
        expected = None

    shortcut = _common_moment(value)

    assert shortcut == expected or (shortcut is None and "  " in value)
