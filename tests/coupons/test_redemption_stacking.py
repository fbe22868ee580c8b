"""Several coupons on one order: together they never discount more than the order's amount
(check 10 of coupons.services.redemption), and a redemption racing the order's upload is linked
to it all the same (both under members.services.order_number_lock)."""

import threading
from decimal import Decimal

import pytest

from coupons.models import CouponStatus, Redemption
from coupons.services import redemption as redemption_module
from coupons.services.basket import Basket
from coupons.services.redemption import CouponRefused, coupon_redeem
from coupons.services.reversal import redemption_reverse
from members.models import Channel
from pos.services import pos_order_create
from tests.coupons.factories import CouponFactory, CouponTemplateFactory
from tests.threads import run_together

ORDER_AMOUNT = Decimal("100.00")


def no_threshold_coupon(member, face_value):
    template = CouponTemplateFactory(face_value=Decimal(face_value), min_spend=Decimal("0"))
    return CouponFactory(member=member, batch__template=template)


def redeem(coupon, store, order_no="POS-STACK", amount=ORDER_AMOUNT):
    return coupon_redeem(
        store=store,
        code=coupon.code,
        phone=coupon.member.phone,
        order_no=order_no,
        basket=Basket(amount=amount),
    )


@pytest.mark.django_db
def test_second_coupon_is_capped_by_what_the_first_left_of_the_order(member_a, store_a):
    first, second = no_threshold_coupon(member_a, "80"), no_threshold_coupon(member_a, "50")

    assert redeem(first, store_a).discount == Decimal("80.00")
    capped = redeem(second, store_a)

    assert capped.discount == Decimal("20.00")
    assert sum(r.discount for r in Redemption.objects.all()) == ORDER_AMOUNT


@pytest.mark.django_db
def test_coupon_on_an_order_already_fully_discounted_is_refused_and_stays_usable(member_a, store_a):
    redeem(no_threshold_coupon(member_a, "100"), store_a)
    third = no_threshold_coupon(member_a, "10")

    with pytest.raises(CouponRefused) as refused:
        redeem(third, store_a)

    assert (refused.value.code, refused.value.status_code) == ("order_fully_discounted", 400)
    assert "100.00" in refused.value.message
    third.refresh_from_db()
    assert third.status == CouponStatus.ISSUED
    assert Redemption.objects.filter(coupon=third).count() == 0


@pytest.mark.django_db
def test_coupons_on_other_orders_or_other_stores_do_not_count(member_a, store_a, store_b):
    redeem(no_threshold_coupon(member_a, "100"), store_a, order_no="POS-OTHER")
    redeem(no_threshold_coupon(member_a, "100"), store_b, order_no="POS-STACK")

    assert redeem(no_threshold_coupon(member_a, "30"), store_a).discount == Decimal("30.00")


@pytest.mark.django_db
def test_a_reversed_redemption_frees_its_part_of_the_order(member_a, store_a):
    first = no_threshold_coupon(member_a, "100")
    redeem(first, store_a)
    redemption_reverse(store=store_a, code=first.code, refund_no="R-1", order_no="POS-STACK")

    assert redeem(no_threshold_coupon(member_a, "40"), store_a).discount == Decimal("40.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_coupons_racing_onto_one_order_never_add_up_past_it(member_a, store_a):
    # given twelve different 30-yuan coupons, each presented at its own till for one 100-yuan order
    coupons = [no_threshold_coupon(member_a, "30") for _ in range(12)]

    # when all twelve redeem at the same instant
    results = run_together(lambda i: redeem(coupons[i], store_a), 12)

    # then the discounts add up to the order's amount exactly: three whole coupons and one capped
    won = [r for r in results if isinstance(r, Redemption)]
    refused = [r for r in results if isinstance(r, CouponRefused)]
    assert sorted(r.discount for r in won) == [Decimal("10.00")] + [Decimal("30.00")] * 3
    assert {r.code for r in refused} == {"order_fully_discounted"}
    assert len(won) + len(refused) == 12
    assert Redemption.objects.count() == 4
    assert statuses_of(coupons) == {CouponStatus.REDEEMED: 4, CouponStatus.ISSUED: 8}


def statuses_of(coupons):  # noqa: N802 - reads as a noun in the assertion
    counts = {}
    for coupon in coupons:
        coupon.refresh_from_db()
        counts[coupon.status] = counts.get(coupon.status, 0) + 1
    return counts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_redemption_racing_the_order_upload_is_linked_to_the_order(member_a, store_a, monkeypatch):
    # given a redemption that has looked for the order (not there yet) but not yet committed
    coupon = no_threshold_coupon(member_a, "30")
    looked, uploaded = threading.Event(), threading.Event()
    real_create = redemption_module._redemption_create

    def create_after_the_upload_started(**fields):
        looked.set()
        uploaded.wait(timeout=2)  # the upload would finish here if nothing held it back
        return real_create(**fields)

    monkeypatch.setattr(redemption_module, "_redemption_create", create_after_the_upload_started)

    def work(i):
        if i == 0:
            return redeem(coupon, store_a)
        looked.wait(timeout=10)
        try:
            return pos_order_create(
                store=store_a,
                order_no="POS-STACK",
                phone=member_a.phone,
                guide_code=None,
                channel=Channel.STORE,
                paid_at=coupon.issued_at,
                amount=ORDER_AMOUNT,
                lines=[],
            )
        finally:
            uploaded.set()

    # when the till uploads the sale while the redemption is still in flight
    redemption, order = run_together(work, 2)

    # then the upload waited for the redemption and linked it
    assert isinstance(redemption, Redemption), redemption
    assert Redemption.objects.get(pk=redemption.pk).order_id == order.pk
