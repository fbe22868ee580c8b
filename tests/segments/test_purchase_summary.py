"""The purchase summary behind "bought SKU / series / category within N days": what it holds, and
that asking through it gives exactly the members the order lines give, at every edge: local
midnights, day N in and N+1 out, orders after the summary's date, refunds, re-imports and lines
recorded after it was built, a past business date, and a refresh still running."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Q
from django.utils import timezone

from members.models import Member, MemberPurchase, MemberTag, Order, OrderLine
from members.purchases import bought_q, purchase_chunk_run
from members.segments import rule_q
from members.services import order_refund
from tests.imports.helpers import run_import
from tests.members.factories import MemberFactory, TagFactory
from tests.segments.purchases import (
    SUMMARY_DAY,
    TODAY,
    bought,
    buy,
    catalogue,
    days_before,
    direct,
    fast,
    local,
    recorded_long_ago,
    refund_in_full,
    summarise,
)

pytestmark = pytest.mark.django_db

SCOPES = [("sku", "EYE"), ("series", "紧致系列"), ("category", "抗老")]


@pytest.fixture
def products():
    return catalogue()


# --- What the summary holds ---------------------------------------------------------------------


def test_the_summary_holds_each_members_latest_counted_purchase_of_each_product(products):
    # given
    member = MemberFactory()
    buy(member, products["eye"], paid_at=days_before(40))
    latest = buy(member, products["eye"], products["cleanser"], paid_at=days_before(10, hour=23))
    buy(member, products["eye"], paid_at=days_before(5), refunded="100.00")  # refunded in full
    partly = buy(member, products["serum"], paid_at=days_before(3), refunded="40.00")
    buy(member, products["mask"], paid_at=local(TODAY, 9))  # after the summary's date
    # when
    summarise()
    # then: local dates (23:00 in Shanghai is still that day), the order behind each
    rows = MemberPurchase.objects.filter(member=member)
    assert {(row.product.sku, row.last_bought_on, row.last_order_id) for row in rows} == {
        ("EYE", TODAY - timedelta(days=10), latest.pk),
        ("CL", TODAY - timedelta(days=10), latest.pk),
        ("SERUM", TODAY - timedelta(days=3), partly.pk),
    }


def test_a_purchase_the_summary_holds_is_read_from_it(products):
    # given: a member whose purchase the summary holds, and nothing changed since
    member = MemberFactory()
    buy(member, products["eye"], paid_at=days_before(20))
    recorded_long_ago()
    summarise()
    # when: the order lines disappear behind the summary's back (no real path does this)
    OrderLine.objects.all().delete()
    # then: the summary still answers for the member; the order lines no longer do
    assert fast("sku", "EYE", 30) == {member.pk}
    assert direct("sku", "EYE", 30) == set()


# --- The window's edges -------------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "value"), SCOPES)
def test_day_n_is_in_and_day_n_plus_one_is_out_at_local_midnight(products, scope, value):
    # given: purchases just inside and just outside 90 days, in Shanghai time
    first_minute = MemberFactory()
    last_minute_before = MemberFactory()
    buy(first_minute, products["eye"], paid_at=days_before(90, hour=0, minute=0))
    buy(last_minute_before, products["eye"], paid_at=days_before(91, hour=23, minute=59))
    recorded_long_ago()
    summarise()
    # then
    assert bought(scope, value, 90) == {first_minute.pk}
    assert bought(scope, value, 91) == {first_minute.pk, last_minute_before.pk}
    assert bought(scope, value, 89) == set()


def test_days_zero_means_today_only(products):
    today_buyer, yesterday_buyer = MemberFactory(), MemberFactory()
    buy(yesterday_buyer, products["eye"], paid_at=days_before(1))
    recorded_long_ago()
    summarise()
    buy(today_buyer, products["eye"], paid_at=local(TODAY, 10))
    assert bought("sku", "EYE", 0) == {today_buyer.pk}
    assert bought("sku", "EYE", 1) == {today_buyer.pk, yesterday_buyer.pk}


def test_other_products_of_no_matching_scope_do_not_count(products):
    member = MemberFactory()
    buy(member, products["cleanser"], paid_at=days_before(5))
    recorded_long_ago()
    summarise()
    assert bought("series", "紧致系列", 30) == set()
    assert bought("category", "保湿", 30) == {member.pk}


# --- Orders and changes after the summary was built ---------------------------------------------


def test_an_order_today_after_the_summary_date_counts(products):
    # given
    member = MemberFactory()
    recorded_long_ago()
    summarise()
    # when: the member buys today
    buy(member, products["eye"], paid_at=local(TODAY, 15))
    # then
    assert bought("series", "紧致系列", 7) == {member.pk}


def test_a_new_order_of_another_product_keeps_the_summarised_purchases(products):
    # given: a summarised purchase of the eye cream
    member = MemberFactory()
    buy(member, products["eye"], paid_at=days_before(20))
    recorded_long_ago()
    summarise()
    # when: the member buys a cleanser today (only that order is read from the lines)
    buy(member, products["cleanser"], paid_at=local(TODAY, 15))
    # then
    assert bought("sku", "EYE", 30) == {member.pk}
    assert bought("series", "水润系列", 0) == {member.pk}
    assert bought("sku", "MASK", 30) == set()


def test_an_order_paid_after_the_summary_date_but_recorded_before_it_began_counts(products):
    # given: paid at 00:30 on the day after the summary's date, recorded before the refresh ran
    member = MemberFactory()
    buy(member, products["eye"], paid_at=local(TODAY, 0, 30))
    recorded_long_ago()
    summarise()
    # then: the summary leaves it out (after its date); the readers still see it
    assert not MemberPurchase.objects.filter(member=member).exists()
    assert bought("sku", "EYE", 0) == {member.pk}


def test_a_full_refund_after_the_summary_was_built_takes_the_purchase_away(products):
    # given: one member with a single purchase, one with an earlier one in the window too
    only, twice = MemberFactory(), MemberFactory()
    only_order = buy(only, products["eye"], paid_at=days_before(10))
    buy(twice, products["eye"], paid_at=days_before(60))
    twice_latest = buy(twice, products["eye"], paid_at=days_before(10))
    recorded_long_ago()
    summarise()
    # when: both latest orders are refunded in full today
    refund_in_full(only_order)
    refund_in_full(twice_latest)
    # then
    assert bought("sku", "EYE", 30) == set()
    assert bought("sku", "EYE", 90) == {twice.pk}


def test_a_partial_refund_after_the_summary_keeps_the_purchase(products):
    member = MemberFactory()
    order = buy(member, products["eye"], paid_at=days_before(10), amount="100.00")
    recorded_long_ago()
    summarise()
    order_refund(
        order=order, refund_no="R-PART", amount=Decimal("30.00"), refunded_at=timezone.now()
    )
    assert bought("sku", "EYE", 30) == {member.pk}


def test_an_order_moved_to_another_member_by_an_import_moves_the_purchase(products, store_a):
    # given: the first member's latest purchase, and an earlier one
    first, second = MemberFactory(home_store=store_a), MemberFactory(home_store=store_a)
    buy(first, products["eye"], paid_at=days_before(40))
    order = buy(first, products["eye"], paid_at=days_before(10))
    recorded_long_ago()
    summarise()
    # when: a corrected order file gives the latest order to the second member
    Order.objects.filter(pk=order.pk).update(member=second, updated_at=timezone.now())
    # then: the first keeps only the earlier purchase
    assert bought("sku", "EYE", 30) == {second.pk}
    assert bought("sku", "EYE", 60) == {first.pk, second.pk}


def test_a_backdated_order_recorded_after_the_summary_counts(products):
    member = MemberFactory()
    recorded_long_ago()
    summarise()
    buy(member, products["eye"], paid_at=days_before(20))  # imported today, paid weeks ago
    assert bought("category", "抗老", 30) == {member.pk}


def test_a_line_imported_after_the_summary_counts(products, store_a, tmp_path):
    # given: an order without lines yet, recorded before the summary
    member = MemberFactory(home_store=store_a)
    order = buy(member, paid_at=days_before(12))
    Order.objects.filter(pk=order.pk).update(order_no="NO-LATE")
    recorded_long_ago()
    summarise()
    # when: its line arrives through the order-line import
    path = tmp_path / "lines.csv"
    path.write_text("order_no,store_code,sku,quantity,amount\nNO-LATE,A001,EYE,1,10.00\n")
    run_import("order_lines", path)
    # then
    assert bought("sku", "EYE", 30) == {member.pk}


# --- When the summary is not used, or is being refreshed ----------------------------------------


def test_a_business_date_before_the_summary_is_answered_from_the_order_lines(products):
    # given: a purchase the day before the summary's date
    member = MemberFactory()
    buy(member, products["eye"], paid_at=days_before(2))
    recorded_long_ago()
    summarise()
    # then: asked as of two days before the summary, that purchase is still in the future
    earlier = SUMMARY_DAY - timedelta(days=2)
    assert bought("sku", "EYE", 10, today=earlier) == set()
    assert bought("sku", "EYE", 10, today=SUMMARY_DAY) == {member.pk}


def test_without_a_summary_the_order_lines_answer(products):
    member = MemberFactory()
    buy(member, products["eye"], paid_at=days_before(3))
    assert not MemberPurchase.objects.exists()
    assert bought("sku", "EYE", 10) == {member.pk}


def test_while_the_next_refresh_runs_the_previous_summary_answers(products):
    # given: the summary of the day before; then purchases on the summary's day
    early, late = MemberFactory(), MemberFactory()
    buy(early, products["eye"], paid_at=days_before(30))
    recorded_long_ago()
    summarise(SUMMARY_DAY - timedelta(days=1))
    buy(early, products["serum"], paid_at=local(SUMMARY_DAY, 20))
    buy(late, products["eye"], paid_at=local(SUMMARY_DAY, 21))
    # when: tonight's refresh has rewritten the first member only
    chunks = []
    summarise(chunk_size=1, dispatch=chunks.extend)
    purchase_chunk_run(chunk_id=chunks[0], dispatch=lambda chunk_ids: None)
    assert MemberPurchase.objects.filter(member=early, product=products["serum"]).exists()
    # then: exact in the middle of the refresh
    for scope, value in SCOPES:
        for days in (0, 1, 10, 40):
            bought(scope, value, days)
            bought(scope, value, days, today=SUMMARY_DAY)


# --- In rules, and over a random population -----------------------------------------------------


def test_a_rule_with_bought_or_a_tag_gives_the_same_members_with_and_without_a_summary(products):
    tag = TagFactory()
    buyer, tagged, neither = MemberFactory(), MemberFactory(), MemberFactory()
    buy(buyer, products["eye"], paid_at=days_before(20))
    buy(neither, products["cleanser"], paid_at=days_before(20))
    MemberTag.objects.create(member=tagged, tag=tag)
    rule = {
        "op": "or",
        "items": [
            {"type": "bought", "scope": "series", "value": "紧致系列", "days": 90},
            {"type": "has_tag", "tag": tag.pk},
        ],
    }
    before = set(Member.objects.filter(rule_q(rule, today=TODAY)).values_list("pk", flat=True))
    recorded_long_ago()
    summarise()
    after = set(Member.objects.filter(rule_q(rule, today=TODAY)).values_list("pk", flat=True))
    assert before == after == {buyer.pk, tagged.pk}


def test_the_summary_and_the_order_lines_agree_over_a_random_population(products):
    # given: 40 members, purchases over 200 days, refunds before and after the summary,
    # orders recorded and paid after it
    rng = random.Random(20260629)
    items = list(products.values())
    members = [MemberFactory() for _ in range(40)]
    for member in members:
        for _ in range(rng.randint(0, 5)):
            chosen = rng.sample(items, rng.randint(1, 3))
            refunded = rng.choice(["0.00"] * 6 + ["100.00", "30.00"])
            paid = days_before(rng.randint(1, 200), hour=rng.randint(0, 23))
            buy(member, *chosen, paid_at=paid, refunded=refunded)
    recorded_long_ago()
    summarise()
    counted = list(Order.objects.filter(refunded_amount=0))
    for order in rng.sample(counted, 8):
        refund_in_full(order)
    for member in rng.sample(members, 6):
        buy(member, rng.choice(items), paid_at=days_before(rng.randint(0, 100)))
    # then
    for scope, value in [*SCOPES, ("sku", "CL"), ("series", "水润系列"), ("category", "修护")]:
        for days in (0, 1, 7, 30, 90, 365):
            for today in (SUMMARY_DAY, TODAY, TODAY + timedelta(days=3)):
                bought(scope, value, days, today=today)
    assert MemberPurchase.objects.exists()


def test_bought_q_is_a_filter_on_member(products):
    member = MemberFactory()
    buy(member, products["eye"], paid_at=days_before(1))
    recorded_long_ago()
    summarise()
    q = bought_q(products=Q(sku="EYE"), days=3, today=TODAY)
    assert list(Member.objects.filter(q)) == [member]
