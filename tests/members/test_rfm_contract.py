"""The RFM(L) contract, pinned with small hand-computed datasets, through the real engine."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from members.models import MemberRfm, Order, RfmGroup, RfmRun, ThresholdMethod
from members.rfm import rfm_regroup
from members.rfm.contract import Thresholds, median_of_middle, middle_window
from members.rfm.measure import measure_chunk
from members.rfm.next_table import next_table_create, next_table_name
from tests.members.factories import MemberFactory
from tests.members.rfm_helpers import AS_OF, buy, days_ago, figures, local, rfm_settings

pytestmark = pytest.mark.django_db

G = RfmGroup


def regroup(as_of=AS_OF, **options):
    return rfm_regroup(business_date=as_of, **options)


def member_with_orders(store, *orders):
    """A member of `store` with orders given as (days before D, amount[, refunded])."""
    member = MemberFactory(home_store=store)
    for days, *money in orders:
        buy(member, days_ago(days), *money)
    return member


# --- One member's figures -----------------------------------------------------------------------


def test_figures_count_net_amounts_and_ignore_full_refunds_and_later_orders(store_a):
    # given
    member = MemberFactory(home_store=store_a)
    buy(member, local(date(2025, 1, 10)), "50.00")  # before the window: L and totals only
    buy(member, local(date(2026, 3, 1)), "200.00", "50.00")  # partial refund: net 150.00
    buy(member, local(date(2026, 6, 20)), "80.50")
    buy(member, local(date(2026, 6, 25)), "300.00", "300.00")  # refunded in full: not counted
    buy(member, local(date(2026, 7, 1), 10), "999.00")  # after D: not counted
    # when
    regroup()
    # then
    row = MemberRfm.objects.get(member=member)
    assert row.as_of == AS_OF
    assert row.recency_days == 10  # 2026-06-30 - 2026-06-20
    assert row.frequency == 2
    assert row.monetary == Decimal("230.50")
    assert row.lifetime_days == 526  # 2026-06-20 - 2025-01-10
    assert (row.first_purchase_on, row.last_purchase_on) == (date(2025, 1, 10), date(2026, 6, 20))
    assert (row.order_count, row.total_spent) == (3, Decimal("280.50"))


def test_member_whose_only_order_is_refunded_in_full_has_no_purchase(store_a):
    refunded = member_with_orders(store_a, (3, "120.00", "120.00"))
    never = MemberFactory(home_store=store_a)
    regroup()
    for member in (refunded, never):
        row = MemberRfm.objects.get(member=member)
        assert figures(member) == (None, 0, Decimal("0.00"), None, G.NO_PURCHASE)
        assert (row.first_purchase_on, row.last_purchase_on, row.order_count) == (None, None, 0)
        assert row.total_spent == Decimal("0.00")


def test_orders_after_the_as_of_date_do_not_count(store_a):
    member = MemberFactory(home_store=store_a)
    buy(member, local(AS_OF + timedelta(days=1), 9))
    regroup()
    assert figures(member)[4] == G.NO_PURCHASE


# --- The local date, at both ends ---------------------------------------------------------------


def test_an_order_at_2330_shanghai_on_d_counts_and_one_at_0030_the_next_day_does_not(store_a):
    # given: 23:30 and 00:30 Shanghai are 15:30 and 16:30 UTC on the same UTC date (D)
    late = MemberFactory(home_store=store_a)
    buy(late, local(AS_OF, 23, 30), "100.00")
    next_day = MemberFactory(home_store=store_a)
    buy(next_day, local(AS_OF + timedelta(days=1), 0, 30), "100.00")
    # and 00:30 Shanghai on D is 16:30 UTC the day before: still local date D
    early = MemberFactory(home_store=store_a)
    buy(early, local(AS_OF - timedelta(days=1), 23, 30), "10.00")
    buy(early, local(AS_OF, 0, 30), "20.00")
    # when
    regroup()
    # then
    assert figures(late)[:4] == (0, 1, Decimal("100.00"), 0)
    assert MemberRfm.objects.get(member=late).last_purchase_on == AS_OF
    assert figures(early)[:4] == (0, 2, Decimal("30.00"), 1)
    assert MemberRfm.objects.get(member=early).last_purchase_on == AS_OF
    assert figures(next_day)[4] == G.NO_PURCHASE


def test_the_window_starts_at_local_midnight_of_d_minus_w_plus_one(store_a):
    # given: the 365-day window (D - 365, D] starts on 2025-07-01, local time
    member = MemberFactory(home_store=store_a)
    buy(member, local(date(2025, 6, 30), 23, 30), "40.00")  # 15:30 UTC: outside the window
    buy(member, local(date(2025, 7, 1), 0, 30), "60.00")  # 16:30 UTC the same UTC day: inside
    # when
    regroup()
    # then
    row = MemberRfm.objects.get(member=member)
    assert (row.frequency, row.monetary) == (1, Decimal("60.00"))
    assert (row.order_count, row.total_spent) == (2, Decimal("100.00"))
    assert (row.recency_days, row.lifetime_days) == (364, 1)
    assert row.first_purchase_on == date(2025, 6, 30)


# --- Thresholds ---------------------------------------------------------------------------------


def test_even_count_takes_the_mean_of_the_two_middle_values(store_a):
    # given: R 1, 3, 10, 20 -> 6.5; F all 1 -> 1; M 100, 200, 300, 400 -> 250
    a = member_with_orders(store_a, (1, "400.00"))
    b = member_with_orders(store_a, (3, "100.00"))
    c = member_with_orders(store_a, (10, "300.00"))
    d = member_with_orders(store_a, (20, "200.00"))
    # when
    run = regroup()
    # then
    assert (run.r_threshold, run.f_threshold, run.m_threshold) == (
        Decimal("6.5000"),
        Decimal("1.0000"),
        Decimal("250.0000"),
    )
    assert run.active_members == 4
    assert [figures(m)[4] for m in (a, b, c, d)] == [
        G.IMPORTANT_DEVELOPMENT,
        G.ORDINARY_DEVELOPMENT,
        G.IMPORTANT_WINBACK,
        G.ORDINARY_WINBACK,
    ]


def test_ties_at_the_median_are_recent_but_not_high(store_a):
    # given: R 5, 5, 5, 40, 40 -> 5; F 1, 2, 2, 2, 3 -> 2; M 100, 150, 150, 150, 200 -> 150
    a = member_with_orders(store_a, (5, "100.00"))
    b = member_with_orders(store_a, (9, "75.00"), (5, "75.00"))
    c = member_with_orders(store_a, (30, "100.00"), (5, "50.00"))
    d = member_with_orders(store_a, (90, "50.00"), (40, "100.00"))
    e = member_with_orders(store_a, (200, "50.00"), (100, "50.00"), (40, "100.00"))
    # when
    run = regroup()
    # then
    assert (run.r_threshold, run.f_threshold, run.m_threshold) == (5, 2, 150)
    assert [figures(m)[4] for m in (a, b, c, d, e)] == [
        G.ORDINARY_DEVELOPMENT,  # R 5 at the threshold is recent
        G.ORDINARY_DEVELOPMENT,  # F 2 and M 150 at the threshold are low
        G.ORDINARY_DEVELOPMENT,
        G.ORDINARY_WINBACK,
        G.IMPORTANT_RETENTION,
    ]


def test_inactive_members_are_left_out_of_the_thresholds_but_grouped_by_the_rule(store_a):
    # given: two active members (R 2 and 10); two whose orders are all before the window
    active = [member_with_orders(store_a, (2,)), member_with_orders(store_a, (10,))]
    lapsed = member_with_orders(store_a, (700, "90.00"), (400, "10.00"))
    member_with_orders(store_a, (500,))
    # when
    run = regroup()
    # then: over all four the R median would be 205
    assert (run.r_threshold, run.active_members) == (Decimal("6.0000"), 2)
    assert [figures(m)[4] for m in active] == [G.ORDINARY_DEVELOPMENT, G.ORDINARY_WINBACK]
    assert figures(lapsed) == (400, 0, Decimal("0.00"), 300, G.ORDINARY_WINBACK)
    assert MemberRfm.objects.get(member=lapsed).total_spent == Decimal("100.00")


def test_mean_method_rounds_half_to_even_at_four_places(store_a):
    # given: M 0.01 x 7 and 0.02: mean 0.01125 -> 0.0112; R 0..7: mean 3.5; F all 1: mean 1
    rfm_settings(r_method=ThresholdMethod.MEAN, f_method="mean", m_method="mean")
    members = [member_with_orders(store_a, (days, "0.01")) for days in range(7)]
    members.append(member_with_orders(store_a, (7, "0.02")))
    # when
    run = regroup()
    # then
    assert (run.r_method, run.f_method, run.m_method) == ("mean", "mean", "mean")
    assert (run.r_threshold, run.f_threshold, run.m_threshold) == (
        Decimal("3.5000"),
        Decimal("1.0000"),
        Decimal("0.0112"),
    )
    groups = [figures(m)[4] for m in members]
    assert groups == [G.ORDINARY_DEVELOPMENT] * 4 + [G.ORDINARY_WINBACK] * 3 + [G.IMPORTANT_WINBACK]


def test_mean_of_a_repeating_fraction_is_rounded_to_four_places(store_a):
    rfm_settings(r_method="mean", f_method="mean", m_method="mean")
    one = member_with_orders(store_a, (1, "10.00"))
    member_with_orders(store_a, (2, "10.00"))
    two = member_with_orders(store_a, (2, "5.00"), (2, "5.01"))
    run = regroup()
    # R (1 + 2 + 2) / 3, F (1 + 1 + 2) / 3, M 30.01 / 3
    assert (run.r_threshold, run.f_threshold, run.m_threshold) == (
        Decimal("1.6667"),
        Decimal("1.3333"),
        Decimal("10.0033"),
    )
    assert figures(one)[4] == G.ORDINARY_DEVELOPMENT  # R 1 recent; F 1, M 10.00 low
    assert figures(two)[4] == G.IMPORTANT_RETENTION  # R 2 not recent; F 2, M 10.01 high


def test_fixed_thresholds_and_every_one_of_the_nine_groups(store_a):
    # given: R 30 days, F 2 orders, M 500 yuan
    rfm_settings(
        r_method="fixed", r_fixed=Decimal(30), f_method="fixed", f_fixed=Decimal(2),
        m_method="fixed", m_fixed=Decimal(500),
    )  # fmt: skip
    cases = {
        G.IMPORTANT_VALUE: [(9, "200.00"), (5, "200.00"), (1, "200.00")],
        G.ORDINARY_VALUE: [(9, "100.00"), (5, "100.00"), (1, "100.00")],
        G.IMPORTANT_DEVELOPMENT: [(1, "600.00")],
        G.ORDINARY_DEVELOPMENT: [(1, "100.00")],
        G.IMPORTANT_RETENTION: [(90, "200.00"), (80, "200.00"), (60, "200.00")],
        G.ORDINARY_RETENTION: [(90, "100.00"), (80, "100.00"), (60, "100.00")],
        G.IMPORTANT_WINBACK: [(60, "600.00")],
        G.ORDINARY_WINBACK: [(60, "100.00")],
        G.NO_PURCHASE: [],
    }
    members = {group: member_with_orders(store_a, *orders) for group, orders in cases.items()}
    at_every_threshold = member_with_orders(store_a, (40, "250.00"), (30, "250.00"))
    # when
    run = regroup()
    # then
    assert (run.r_threshold, run.f_threshold, run.m_threshold) == (30, 2, 500)
    assert {group: figures(member)[4] for group, member in members.items()} == {
        group: group for group in cases
    }
    assert set(cases) == set(G)
    # R 30 is recent, F 2 and M 500 are low
    assert figures(at_every_threshold) == (30, 2, Decimal("500.00"), 10, G.ORDINARY_DEVELOPMENT)


def test_window_setting_limits_f_and_m(store_a):
    rfm_settings(window_days=30)
    member = member_with_orders(store_a, (40, "200.00"), (29, "100.00"), (10, "50.00"))
    run = regroup()
    assert run.window_days == 30
    row = MemberRfm.objects.get(member=member)
    assert (row.frequency, row.monetary) == (2, Decimal("150.00"))
    assert (row.order_count, row.total_spent) == (3, Decimal("350.00"))


def test_without_active_members_thresholds_are_null_and_everyone_is_winback(store_a):
    # given: a 30-day window and no order in it
    rfm_settings(window_days=30)
    lapsed = member_with_orders(store_a, (45, "900.00"))
    never = MemberFactory(home_store=store_a)
    # when
    run = regroup()
    # then
    assert (run.r_threshold, run.f_threshold, run.m_threshold) == (None, None, None)
    assert run.active_members == 0
    assert figures(lapsed) == (45, 0, Decimal("0.00"), 0, G.ORDINARY_WINBACK)
    assert figures(never)[4] == G.NO_PURCHASE


def test_a_fixed_threshold_applies_even_without_active_members(store_a):
    rfm_settings(window_days=30, r_method="fixed", r_fixed=Decimal(1000))
    lapsed = member_with_orders(store_a, (45, "900.00"))
    run = regroup()
    assert (run.r_threshold, run.f_threshold) == (Decimal("1000.0000"), None)
    assert figures(lapsed)[4] == G.ORDINARY_DEVELOPMENT


# --- The pure parts -----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "window"), [(1, (0, 1)), (2, (0, 2)), (5, (2, 1)), (6, (2, 2))])
def test_middle_window_picks_the_middle_values(count, window):
    assert middle_window(count) == window


def test_median_of_two_middle_amounts_is_exact():
    assert median_of_middle([Decimal("0.01"), Decimal("0.02")]) == Decimal("0.0150")


def test_a_measure_leaves_the_connections_time_zone_as_django_set_it(store_a):
    # given: a member with an order at 23:30 Shanghai, measured in a transaction (as a chunk is)
    member = MemberFactory(home_store=store_a)
    order = buy(member, local(AS_OF, 23, 30), "100.00")
    run = RfmRun.objects.create(business_date=AS_OF, window_days=365)
    next_table_create(run)
    unknown = Thresholds(r=None, f=None, m=None)
    with transaction.atomic():
        # when: the measure sets the session zone to Shanghai for its statement
        measure_chunk(run, lo=member.pk, hi=member.pk + 1, provisional=unknown, changes=False)
        # then: a timestamp read after it, in the same transaction, is the same instant
        assert Order.objects.get(pk=order.pk).paid_at == local(AS_OF, 23, 30)
    table = connection.ops.quote_name(next_table_name(run))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_purchase_on FROM {table} WHERE member_id = %s", [member.pk])
        (last_purchase_on,) = cursor.fetchone()
    assert str(last_purchase_on) == str(AS_OF)
