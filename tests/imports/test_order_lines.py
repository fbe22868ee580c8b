"""Order line imports: the order and the SKU must exist; (order, product) is unique."""

from decimal import Decimal

import pytest

from members.models import ImportKind, OrderLine
from tests.imports.helpers import errors, reasons, run_import
from tests.members.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

LINES = ImportKind.ORDER_LINES


@pytest.fixture
def order(store_a):
    return OrderFactory(store=store_a, order_no="NO1")


@pytest.fixture
def product(db):
    return ProductFactory(sku="SKU1")


def row(no="NO1", store="A001", sku="SKU1", quantity="2", amount="151.00"):
    return ",".join([no, store, sku, quantity, amount])


def test_a_line_is_added_to_its_order(csv_file, order, product):
    result = run_import(LINES, csv_file(LINES, row()))

    assert result.counts.created == 1
    line = OrderLine.objects.get()
    assert (line.order, line.product, line.quantity, line.amount) == (
        order,
        product,
        2,
        Decimal("151.00"),
    )


def test_an_unknown_order_is_a_bad_row(csv_file, order, product):
    result = run_import(LINES, csv_file(LINES, row(no="NO-NOPE")))

    assert errors(result) == [(2, "order_no")]
    assert "没有这个订单号" in reasons(result)


def test_an_order_number_of_another_store_is_an_unknown_order(csv_file, order, product, store_b):
    result = run_import(LINES, csv_file(LINES, row(store="B001")))

    assert errors(result) == [(2, "order_no")]


def test_an_unknown_sku_is_a_bad_row(csv_file, order, product):
    result = run_import(LINES, csv_file(LINES, row(sku="NOPE")))

    assert errors(result) == [(2, "sku")]
    assert "SKU 不存在" in reasons(result)
    assert not OrderLine.objects.exists()


def test_an_unknown_order_and_sku_are_both_reported(csv_file, order, product):
    result = run_import(LINES, csv_file(LINES, row(no="X", sku="Y")))

    assert errors(result) == [(2, "order_no"), (2, "sku")]
    assert result.counts.rejected == 1


@pytest.mark.parametrize(
    ("quantity", "amount", "column"), [("0", "1", "quantity"), ("1", "-1", "amount")]
)
def test_bad_quantity_or_amount_is_a_bad_row(csv_file, order, product, quantity, amount, column):
    result = run_import(LINES, csv_file(LINES, row(quantity=quantity, amount=amount)))

    assert errors(result) == [(2, column)]


def test_a_reimport_updates_quantity_and_amount_instead_of_adding_a_line(csv_file, order, product):
    run_import(LINES, csv_file(LINES, row()))

    result = run_import(LINES, csv_file(LINES, row(quantity="3", amount="200"), name="fixed.csv"))

    assert (result.counts.created, result.counts.updated) == (0, 1)
    line = OrderLine.objects.get()
    assert (line.quantity, line.amount) == (3, Decimal("200.00"))


def test_reimporting_the_same_file_creates_nothing(csv_file, order, product):
    path = csv_file(LINES, row())
    run_import(LINES, path)

    again = run_import(LINES, path)

    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 1)


def test_the_same_product_twice_for_an_order_in_one_file_is_a_duplicate(csv_file, order, product):
    result = run_import(LINES, csv_file(LINES, row(), row(quantity="5")))

    assert errors(result) == [(3, "sku")]
    assert OrderLine.objects.get().quantity == 2
