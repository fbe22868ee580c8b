"""Order imports: bad rows, attribution by the one rule, re-imports."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from members.models import Channel, ImportKind, Order
from members.services import order_attribution, order_create
from tests.imports.helpers import errors, reasons, run_import
from tests.members.factories import GuideFactory, MemberFactory, OrderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("order_import_path")]

ORDERS = ImportKind.ORDERS


def row(
    no="NO1",
    phone="",
    store="A001",
    guide="",
    channel="",
    paid_at="2024-01-05 14:30",
    amount="302.00",
):
    return ",".join([no, phone, store, guide, channel, paid_at, amount])


def test_an_in_store_order_is_created_and_credited_to_the_selling_store_and_guide(
    csv_file, store_a, guide_a, member_b
):
    path = csv_file(ORDERS, row(phone=member_b.phone, guide=guide_a.guide_code))

    result = run_import(ORDERS, path)

    assert result.counts.created == 1
    order = Order.objects.get()
    assert (order.store, order.member, order.guide, order.channel) == (
        store_a,
        member_b,
        guide_a,
        Channel.STORE,
    )
    assert (order.credited_store, order.credited_guide) == (store_a, guide_a)
    assert order.paid_at == datetime(2024, 1, 5, 6, 30, tzinfo=UTC)
    assert order.amount == Decimal("302.00")


@pytest.mark.parametrize("channel", ["mini_program", "livestream", "小程序", "直播"])
def test_an_online_order_is_credited_to_the_members_bound_guide_and_their_store(
    csv_file, store_a, store_b, guide_b, channel
):
    member = MemberFactory(home_store=store_b, guide=guide_b)

    run_import(ORDERS, csv_file(ORDERS, row(phone=member.phone, channel=channel)))

    order = Order.objects.get()
    assert (order.credited_store, order.credited_guide) == (store_b, guide_b)


def test_an_online_order_of_a_member_without_guide_goes_to_their_home_store(
    csv_file, store_a, store_b
):
    member = MemberFactory(home_store=store_b, guide=None)

    run_import(ORDERS, csv_file(ORDERS, row(phone=member.phone, channel="livestream")))

    order = Order.objects.get()
    assert (order.credited_store, order.credited_guide) == (store_b, None)


def test_import_and_order_create_credit_the_same_way(csv_file, store_a, store_b, guide_a, guide_b):
    bound = MemberFactory(home_store=store_b, guide=guide_b)
    unbound = MemberFactory(home_store=store_b, guide=None)
    cases = [
        (bound, guide_a, Channel.STORE),
        (bound, guide_a, Channel.MINI_PROGRAM),
        (unbound, None, Channel.LIVESTREAM),
        (None, guide_a, Channel.LIVESTREAM),
        (bound, None, Channel.OTHER),
    ]
    rows = [
        row(
            f"IMP{i}",
            member.phone if member else "",
            guide=guide.guide_code if guide else "",
            channel=channel,
        )
        for i, (member, guide, channel) in enumerate(cases)
    ]

    run_import(ORDERS, csv_file(ORDERS, *rows))

    for i, (member, guide, channel) in enumerate(cases):
        imported = Order.objects.get(order_no=f"IMP{i}")
        created = order_create(
            store=store_a,
            order_no=f"SVC{i}",
            member=member,
            guide=guide,
            channel=channel,
            paid_at=imported.paid_at,
            amount=imported.amount,
        )
        assert (
            (imported.credited_store_id, imported.credited_guide_id)
            == (created.credited_store_id, created.credited_guide_id)
            == order_attribution(store=store_a, guide=guide, member=member, channel=channel)
        )


def test_an_empty_phone_is_a_sale_to_a_non_member(csv_file, store_a):
    run_import(ORDERS, csv_file(ORDERS, row(phone="")))

    assert Order.objects.get().member is None


def test_an_unknown_phone_is_a_bad_row(csv_file, store_a):
    result = run_import(ORDERS, csv_file(ORDERS, row(phone="13800000000")))

    assert errors(result) == [(2, "phone")]
    assert "不是会员" in reasons(result)
    assert not Order.objects.exists()


def test_an_unknown_store_is_a_bad_row(csv_file, store_a):
    result = run_import(ORDERS, csv_file(ORDERS, row(store="ZZZ")))

    assert errors(result) == [(2, "store_code")]


def test_a_guide_of_another_store_is_a_bad_row(csv_file, store_a, guide_b):
    result = run_import(ORDERS, csv_file(ORDERS, row(guide=guide_b.guide_code)))

    assert errors(result) == [(2, "guide_code")]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("amount", "reason"),
    [("12.345", "两位小数"), ("-5", "不能为负数"), ("abc", "必须是数字"), ("", "不能为空")],
)
def test_a_bad_amount_is_a_bad_row(csv_file, store_a, amount, reason):
    result = run_import(ORDERS, csv_file(ORDERS, row(amount=amount)))

    assert errors(result) == [(2, "amount")]
    assert reason in reasons(result)
    assert not Order.objects.exists()


@pytest.mark.parametrize("paid_at", ["05/01/2024 10:00", "2024-01-05T10:00", "2999-01-01", ""])
def test_a_bad_paid_at_is_a_bad_row(csv_file, store_a, paid_at):
    result = run_import(ORDERS, csv_file(ORDERS, row(paid_at=paid_at)))

    assert errors(result) == [(2, "paid_at")]


def test_an_unknown_channel_is_a_bad_row(csv_file, store_a):
    result = run_import(ORDERS, csv_file(ORDERS, row(channel="tiktok")))

    assert errors(result) == [(2, "channel")]
    assert "mini_program（小程序）" in reasons(result)


def test_the_same_order_number_in_two_stores_is_two_orders(csv_file, store_a, store_b):
    run_import(ORDERS, csv_file(ORDERS, row(store="A001"), row(store="B001")))

    assert Order.objects.count() == 2


def test_an_order_twice_in_one_file_rejects_the_second_occurrence(csv_file, store_a):
    result = run_import(ORDERS, csv_file(ORDERS, row(amount="1"), row(amount="2")))

    assert errors(result) == [(3, "order_no")]
    assert Order.objects.get().amount == Decimal("1.00")


def test_reimporting_the_same_file_creates_nothing_and_changes_nothing(
    csv_file, store_a, guide_a, member_a
):
    path = csv_file(ORDERS, row("NO1", member_a.phone, channel="mini_program"), row("NO2"))
    run_import(ORDERS, path)

    again = run_import(ORDERS, path)

    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 2)
    assert Order.objects.count() == 2


def test_a_corrected_file_updates_the_order_in_place(csv_file, store_a, guide_a, member_a):
    run_import(ORDERS, csv_file(ORDERS, row(amount="30.00"), row("NO2", amount="1.234")))

    fixed = csv_file(ORDERS, row(amount="300.00"), row("NO2", amount="1.23"), name="fixed.csv")
    result = run_import(ORDERS, fixed)

    assert (result.counts.created, result.counts.updated, result.counts.rejected) == (1, 1, 0)
    assert sorted(Order.objects.values_list("amount", flat=True)) == [
        Decimal("1.23"),
        Decimal("300.00"),
    ]


def test_reimport_keeps_credit_after_the_member_was_rebound(csv_file, store_a, store_b, guide_a):
    member = MemberFactory(home_store=store_a, guide=guide_a)
    path = csv_file(ORDERS, row(phone=member.phone, channel="mini_program"))
    run_import(ORDERS, path)
    member.guide = GuideFactory(store=store_a)
    member.save()

    run_import(ORDERS, path)

    assert Order.objects.get().credited_guide == guide_a


def test_a_corrected_channel_recomputes_the_credit(csv_file, store_a, store_b, guide_b):
    member = MemberFactory(home_store=store_b, guide=guide_b)
    run_import(ORDERS, csv_file(ORDERS, row(phone=member.phone, channel="store")))

    run_import(
        ORDERS, csv_file(ORDERS, row(phone=member.phone, channel="livestream"), name="f.csv")
    )

    order = Order.objects.get()
    assert (order.channel, order.credited_store, order.credited_guide) == (
        Channel.LIVESTREAM,
        store_b,
        guide_b,
    )


def test_a_corrected_amount_below_the_refunded_amount_is_a_bad_row(csv_file, store_a):
    OrderFactory(
        store=store_a, order_no="NO1", amount=Decimal("100"), refunded_amount=Decimal("80")
    )

    result = run_import(ORDERS, csv_file(ORDERS, row(amount="50")))

    assert errors(result) == [(2, "amount")]
    assert Order.objects.get().amount == Decimal("100.00")


def test_bad_rows_are_worded_in_the_language_of_whoever_imports(csv_file, store_a):
    # rows are parsed in a helper thread, which must speak the caller's language
    with translation.override("en"):
        result = run_import(ORDERS, csv_file(ORDERS, row(amount="")))

    assert "This value is required." in reasons(result)
