from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from members.selectors import age_band, five_looks, form_of_address, member_figures, tenure_label
from tests.members.factories import MemberFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_domain_example_card(store_a):
    # DOMAIN.md: born 1990-10-15, card opened 2013-12-08, average ticket 302 yuan,
    # bought a cleanser and an eye cream of one series.
    member = MemberFactory(
        home_store=store_a,
        name="王芳",
        gender="F",
        birthday=date(1990, 10, 15),
        joined_at=date(2013, 12, 8),
    )
    cleanser = ProductFactory(name="洁面乳", series="雪润", category="清洁")
    eye_cream = ProductFactory(name="眼霜", series="雪润", category="抗老")
    first = OrderFactory(store=store_a, member=member, amount=Decimal("280.00"))
    second = OrderFactory(store=store_a, member=member, amount=Decimal("324.00"))
    OrderLineFactory(order=first, product=cleanser, amount=Decimal("280.00"))
    OrderLineFactory(order=second, product=eye_cream, amount=Decimal("324.00"))

    card = five_looks(member, member_figures(member), today=date(2026, 11, 23))

    assert card.age_band == "35–39岁"
    assert card.address_as == "王姐"
    assert card.birthday_md == "10-15"
    assert card.tenure == "12年11个月"
    assert card.average_ticket == Decimal("302.00")
    assert {p.name for p in card.products} == {"洁面乳", "眼霜"}
    assert card.favourite_series == "雪润"
    assert card.favourite_category == "抗老"


def test_refunded_in_full_orders_do_not_count_and_partial_refunds_net(store_a, member_a):
    OrderFactory(
        store=store_a, member=member_a, amount=Decimal("100.00"), refunded_amount=Decimal("100.00")
    )
    OrderFactory(
        store=store_a, member=member_a, amount=Decimal("100.00"), refunded_amount=Decimal("40.00")
    )
    figures = member_figures(member_a)
    assert figures.order_count == 1
    assert figures.total_spent == Decimal("60.00")
    assert figures.average_ticket == Decimal("60.00")


def test_member_without_orders_has_empty_figures(member_a):
    figures = member_figures(member_a)
    assert figures.order_count == 0 and figures.average_ticket == Decimal("0.00")
    assert figures.favourite_series == ""


def test_first_and_last_purchase(store_a, member_a):
    OrderFactory(store=store_a, member=member_a, paid_at=datetime(2025, 1, 1, 10, tzinfo=SHANGHAI))
    OrderFactory(store=store_a, member=member_a, paid_at=datetime(2026, 5, 1, 10, tzinfo=SHANGHAI))
    figures = member_figures(member_a)
    assert figures.first_purchase_at.year == 2025 and figures.last_purchase_at.year == 2026


@pytest.mark.parametrize(
    ("age", "band"),
    [(18, "25岁以下"), (25, "25–29岁"), (39, "35–39岁"), (49, "40–49岁"), (50, "50岁及以上")],
)
def test_age_bands(age, band):
    assert age_band(age) == band


@pytest.mark.parametrize(
    ("gender", "age", "expected"),
    [
        ("F", 25, "李小姐"),
        ("F", 40, "李姐"),
        ("F", 55, "李阿姨"),
        ("M", 25, "李先生"),
        ("M", 40, "李哥"),
        ("", 40, "李四"),
    ],
)
def test_form_of_address(gender, age, expected):
    assert form_of_address(MemberFactory.build(name="李四", gender=gender), age) == expected


def test_tenure_counts_whole_months():
    assert tenure_label(date(2026, 1, 31), date(2026, 2, 27)) == "0个月"
    assert tenure_label(date(2019, 3, 1), date(2026, 3, 1)) == "7年0个月"
