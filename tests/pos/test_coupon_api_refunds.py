"""Coupons and the till's orders: a redemption is linked to the order uploaded under its number,
and a POS refund that makes the order refunded in full reverses its coupons in the same call."""

import pytest

from coupons.models import CouponStatus, Redemption
from members.models import Order
from tests.coupons.factories import CouponFactory, CouponTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coupon(member_a):
    return CouponFactory(member=member_a, code="CPN000000001")


@pytest.fixture
def single_use(member_a):
    template = CouponTemplateFactory(reusable_after_refund=False)
    return CouponFactory(member=member_a, code="CPN000000002", batch__template=template)


def redeem_body(coupon, order_no="POS-0001"):
    return {
        "code": coupon.code,
        "phone": coupon.member.phone,
        "order_no": order_no,
        "amount": "302.00",
    }


def refund(till, amount, refund_no="R1", **kwargs):
    body = {"refund_no": refund_no, "amount": amount, "refunded_at": "2024-10-16T10:00:00+08:00"}
    return till.refund("POS-0001", body, **kwargs)


@pytest.fixture
def sold_with_coupons(pos_a, coupon, single_use, order_body, member_a):
    """Order POS-0001 (302.00) on which the member used two coupons before the upload."""
    for c in (coupon, single_use):
        assert pos_a.redeem(redeem_body(c)).status_code == 201
    assert pos_a.create_order(order_body(phone=member_a.phone)).status_code == 201
    return Order.objects.get(order_no="POS-0001")


def test_uploading_the_order_links_the_redemptions_made_before(sold_with_coupons):
    assert set(Redemption.objects.values_list("order_id", flat=True)) == {sold_with_coupons.pk}


def test_uploading_another_stores_order_with_that_number_links_nothing(
    pos_a, pos_b, coupon, order_body
):
    pos_a.redeem(redeem_body(coupon))

    assert pos_b.create_order(order_body()).status_code == 201

    assert Redemption.objects.get().order is None


def test_a_refund_in_full_reverses_the_orders_coupons_and_says_so(pos_a, sold_with_coupons):
    response = refund(pos_a, "302.00")

    assert response.status_code == 201, response.content
    reversed_ = sorted(response.json()["coupons_reversed"], key=lambda c: c["code"])
    assert reversed_ == [
        {"code": "CPN000000001", "coupon_status": "issued", "usable_again": True},
        {"code": "CPN000000002", "coupon_status": "voided", "usable_again": False},
    ]
    assert not Redemption.objects.live().exists()
    assert set(Redemption.objects.values_list("reversal_refund_no", flat=True)) == {"R1"}


def test_a_partial_refund_leaves_the_coupons_used(pos_a, sold_with_coupons, coupon):
    response = refund(pos_a, "128.00")

    assert response.status_code == 201
    assert response.json()["coupons_reversed"] == []
    assert Redemption.objects.live().count() == 2
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.REDEEMED


def test_the_refund_that_completes_the_order_reverses_its_coupons(pos_a, sold_with_coupons):
    refund(pos_a, "128.00", "R1")

    response = refund(pos_a, "174.00", "R2")

    assert len(response.json()["coupons_reversed"]) == 2
    assert set(Redemption.objects.values_list("reversal_refund_no", flat=True)) == {"R2"}


def test_a_refund_retry_replays_the_reversals_and_reverses_nothing_more(pos_a, sold_with_coupons):
    first = refund(pos_a, "302.00", idempotency_key="refund-1")

    again = refund(pos_a, "302.00", idempotency_key="refund-1")

    assert first.status_code == 201 and len(first.json()["coupons_reversed"]) == 2
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Redemption.objects.count() == 2
    reversed_by = set(Redemption.objects.values_list("reversal_refund_no", flat=True))
    assert len(reversed_by) == 1 and "" not in reversed_by


def test_a_coupon_reversed_by_hand_is_skipped_by_the_full_refund(pos_a, sold_with_coupons, coupon):
    assert pos_a.reverse_coupon(coupon.code, {"refund_no": "R0"}).status_code == 200

    response = refund(pos_a, "302.00")

    assert [c["code"] for c in response.json()["coupons_reversed"]] == ["CPN000000002"]
    assert Redemption.objects.get(coupon=coupon).reversal_refund_no == "R0"


def test_a_coupon_given_back_by_a_refund_can_be_used_on_the_next_order(
    pos_a, sold_with_coupons, coupon
):
    refund(pos_a, "302.00")

    response = pos_a.redeem(redeem_body(coupon, order_no="POS-0002"))

    assert response.status_code == 201
    assert Redemption.objects.filter(coupon=coupon).count() == 2
    assert Redemption.objects.live().get(coupon=coupon).order_no == "POS-0002"


def test_redeeming_on_an_order_uploaded_before_links_it_at_once(pos_a, coupon, order_body):
    pos_a.create_order(order_body())

    pos_a.redeem(redeem_body(coupon))

    assert Redemption.objects.get().order == Order.objects.get()
