"""POST /api/pos/orders/ and /api/pos/orders/{order_no}/refunds/: attribution and refunds."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from members.models import Order, OrderLine, Refund
from tests.members.factories import GuideFactory, MemberFactory, OrderFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- Orders -------------------------------------------------------------------------------------


def test_in_store_sale_is_credited_to_the_selling_store_and_guide(
    pos_a, store_a, store_b, guide_a, order_body
):
    # given a member of store B, bound to B's guide, who buys in store A
    member = MemberFactory(home_store=store_b, guide=GuideFactory(store=store_b))
    # when A's till posts the sale with A's guide
    response = pos_a.create_order(
        order_body(phone=member.phone, guide_code=guide_a.guide_code, store="B001")
    )
    # then A and A's guide get the credit
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["credited_store_code"] == "A001"
    assert body["credited_guide_code"] == guide_a.guide_code
    assert body["store_code"] == "A001"
    assert body["channel"] == "store"
    assert body["amount"] == "302.00"
    order = Order.objects.get(pk=body["id"])
    assert order.store == store_a
    assert order.member == member
    assert order.lines.count() == 2


def test_online_sale_is_credited_to_the_bound_guide_and_their_store(pos_a, store_b, order_body):
    guide_b = GuideFactory(store=store_b)
    member = MemberFactory(home_store=store_b, guide=guide_b)
    response = pos_a.create_order(order_body(phone=member.phone, channel="mini_program"))
    assert response.status_code == 201
    assert response.json()["credited_store_code"] == "B001"
    assert response.json()["credited_guide_code"] == guide_b.guide_code


def test_non_member_sale_needs_no_phone(pos_a, order_body):
    response = pos_a.create_order(order_body(phone=""))
    assert response.status_code == 201
    assert Order.objects.get().member is None
    assert response.json()["credited_guide_code"] is None


def test_phone_in_any_format_finds_the_member(pos_a, member_a, order_body):
    phone = f"+86 {member_a.phone[:3]}-{member_a.phone[3:7]}-{member_a.phone[7:]}"
    assert pos_a.create_order(order_body(phone=phone)).status_code == 201
    assert Order.objects.get().member == member_a


def test_unknown_phone_is_400_with_masked_phone(pos_a, order_body):
    response = pos_a.create_order(order_body(phone="13700001234"))
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_member"
    assert "137****1234" in response.json()["detail"]
    assert not Order.objects.exists()


def test_guide_of_another_store_is_rejected(pos_a, guide_b, order_body):
    response = pos_a.create_order(order_body(guide_code=guide_b.guide_code))
    assert response.status_code == 400
    assert response.json()["code"] == "guide_not_in_store"


def test_naive_paid_at_is_beijing_time(pos_a, order_body):
    response = pos_a.create_order(order_body(paid_at="2024-10-15 14:30:00"))
    assert response.status_code == 201
    assert Order.objects.get().paid_at == datetime(2024, 10, 15, 14, 30, tzinfo=SHANGHAI)
    assert response.json()["paid_at"] == "2024-10-15T14:30:00+08:00"


def test_paid_at_with_offset_is_kept(pos_a, order_body):
    pos_a.create_order(order_body(paid_at="2024-10-15T06:30:00Z"))
    assert Order.objects.get().paid_at == datetime(2024, 10, 15, 14, 30, tzinfo=SHANGHAI)


def test_existing_order_no_is_409(pos_a, store_a, order_body):
    OrderFactory(store=store_a, order_no="POS-0001")
    response = pos_a.create_order(order_body())
    assert response.status_code == 409
    assert response.json()["code"] == "order_exists"


def test_same_order_no_in_another_store_is_fine(pos_a, pos_b, order_body):
    assert pos_a.create_order(order_body()).status_code == 201
    assert pos_b.create_order(order_body()).status_code == 201
    assert Order.objects.count() == 2


def test_unknown_sku_is_400_and_creates_nothing(pos_a, order_body):
    response = pos_a.create_order(
        order_body(lines=[{"sku": "NOPE", "quantity": 1, "amount": "302.00"}])
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_sku"
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()


# --- Refunds ------------------------------------------------------------------------------------


@pytest.fixture
def order_a(pos_a, order_body):
    response = pos_a.create_order(order_body())
    assert response.status_code == 201
    return Order.objects.get(pk=response.json()["id"])


def refund_body(**overrides):
    return {"refund_no": "R-1", "amount": "100.00", "refunded_at": "2024-10-16T10:00:00+08:00"} | (
        overrides
    )


def test_partial_refund(pos_a, order_a):
    response = pos_a.refund("POS-0001", refund_body())
    assert response.status_code == 201
    assert response.json()["order_refunded_amount"] == "100.00"
    assert response.json()["refund_no"] == "R-1"
    order_a.refresh_from_db()
    assert order_a.refunded_amount == Decimal("100.00")


def test_full_refund_in_two_parts(pos_a, order_a):
    assert pos_a.refund("POS-0001", refund_body()).status_code == 201
    response = pos_a.refund("POS-0001", refund_body(refund_no="R-2", amount="202.00"))
    assert response.status_code == 201
    order_a.refresh_from_db()
    assert order_a.net_amount == Decimal("0.00")


def test_refund_over_refundable_amount_is_400(pos_a, order_a):
    pos_a.refund("POS-0001", refund_body(amount="300.00"))
    response = pos_a.refund("POS-0001", refund_body(refund_no="R-2", amount="2.01"))
    assert response.status_code == 400
    assert response.json()["code"] == "refund_exceeds_amount"
    order_a.refresh_from_db()
    assert order_a.refunded_amount == Decimal("300.00")
    assert order_a.refunds.count() == 1


def test_second_refund_with_same_refund_no_is_409(pos_a, order_a):
    pos_a.refund("POS-0001", refund_body())
    response = pos_a.refund("POS-0001", refund_body())  # a new idempotency key
    assert response.status_code == 409
    assert response.json()["code"] == "refund_exists"
    order_a.refresh_from_db()
    assert order_a.refunded_amount == Decimal("100.00")


def test_refund_of_unknown_order_is_404(pos_a, order_a):
    response = pos_a.refund("NO-SUCH", refund_body())
    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"


def test_refund_of_another_stores_order_is_404(pos_b, order_a):
    response = pos_b.refund("POS-0001", refund_body())
    assert response.status_code == 404
    assert not Refund.objects.exists()
