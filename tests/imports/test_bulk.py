"""Imports work in bulk: the number of queries depends on the chunks, never on the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import ImportKind, Member, Order, OrderLine
from tests.imports.helpers import run_import
from tests.members.factories import GuideFactory, MemberFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def queries_for(kind, path):
    with CaptureQueriesContext(connection) as captured:
        run_import(kind, path)
    return len(captured)


def member_rows(store, guide, start, count):
    return [
        f"1380000{i:04d},会员{i},F,,2020-01-01,{store.code},{guide.guide_code},"
        for i in range(start, start + count)
    ]


def test_member_import_queries_do_not_grow_with_rows(csv_file, store_a, guide_a):
    few = queries_for(
        ImportKind.MEMBERS,
        csv_file(ImportKind.MEMBERS, *member_rows(store_a, guide_a, 0, 3), name="a.csv"),
    )
    many = queries_for(
        ImportKind.MEMBERS,
        csv_file(ImportKind.MEMBERS, *member_rows(store_a, guide_a, 100, 60), name="b.csv"),
    )

    assert many == few
    assert Member.objects.count() == 63


def test_member_reimport_with_updates_queries_do_not_grow_with_rows(csv_file, store_a, guide_a):
    run_import(
        ImportKind.MEMBERS,
        csv_file(ImportKind.MEMBERS, *member_rows(store_a, guide_a, 0, 60), name="a.csv"),
    )
    Member.objects.update(name="旧名")

    few = queries_for(
        ImportKind.MEMBERS,
        csv_file(ImportKind.MEMBERS, *member_rows(store_a, guide_a, 0, 3), name="b.csv"),
    )
    many = queries_for(
        ImportKind.MEMBERS,
        csv_file(ImportKind.MEMBERS, *member_rows(store_a, guide_a, 0, 60), name="c.csv"),
    )

    assert many == few


def test_order_import_with_online_attribution_queries_do_not_grow_with_rows(
    csv_file, store_a, store_b, order_import_path
):
    guides = [GuideFactory(store=store_b) for _ in range(3)]
    members = [MemberFactory(home_store=store_b, guide=guides[i % 3]) for i in range(40)]

    def rows(prefix, count):
        return [
            f"{prefix}{i},{members[i].phone},A001,,mini_program,2024-01-05 10:00,9.90"
            for i in range(count)
        ]

    few = queries_for(ImportKind.ORDERS, csv_file(ImportKind.ORDERS, *rows("F", 3), name="a.csv"))
    many = queries_for(ImportKind.ORDERS, csv_file(ImportKind.ORDERS, *rows("M", 40), name="b.csv"))

    assert many == few
    assert {o.credited_store_id for o in Order.objects.filter(order_no__startswith="M")} == {
        store_b.pk
    }


def test_order_line_import_queries_do_not_grow_with_rows(csv_file, store_a):
    orders = [OrderFactory(store=store_a, order_no=f"NO{i}") for i in range(30)]
    ProductFactory(sku="SKU1")

    def rows(count):
        return [f"{order.order_no},A001,SKU1,1,9.90" for order in orders[:count]]

    few = queries_for(
        ImportKind.ORDER_LINES, csv_file(ImportKind.ORDER_LINES, *rows(3), name="a.csv")
    )
    OrderLine.objects.all().delete()
    many = queries_for(
        ImportKind.ORDER_LINES, csv_file(ImportKind.ORDER_LINES, *rows(30), name="b.csv")
    )

    assert many == few


def test_a_row_is_never_half_applied(csv_file, store_a, order_import_path):
    path = csv_file(ImportKind.ORDERS, "NO1,,A001,,,2024-01-05,1", "NO2,,A001,,,2024-01-05,1.001")

    run_import(ImportKind.ORDERS, path)

    assert list(Order.objects.values_list("order_no", flat=True)) == ["NO1"]
