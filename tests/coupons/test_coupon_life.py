"""coupon_life: every step of a coupon's life in time order, in three queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from coupons.models import BatchSource, Coupon, CouponStatus
from coupons.selectors_life import coupon_life
from coupons.services.basket import Basket
from coupons.services.redemption import coupon_redeem
from coupons.services.reversal import redemption_reverse
from coupons.services.status import coupon_audit_bulk, coupon_status_change
from tests.coupons.factories import CouponFactory
from tests.members.factories import GuideFactory

pytestmark = pytest.mark.django_db

CART = Basket(amount=Decimal("302.00"))


@pytest.fixture
def coupon(member_a, manager_a):
    issued_at = timezone.now() - timedelta(days=10)
    return CouponFactory(
        member=member_a,
        issued_at=issued_at,
        valid_from=timezone.localdate(issued_at),
        batch__source=BatchSource.SINGLE,
        batch__created_by=manager_a,
        batch__template__reusable_after_refund=True,
    )


def redeem(coupon, store, order_no, *, at, guide=None):
    return coupon_redeem(
        store=store,
        code=coupon.code,
        phone=coupon.member.phone,
        order_no=order_no,
        basket=CART,
        guide_code=guide.guide_code if guide else None,
        at=at,
    )


def days_ago(n):
    return timezone.now() - timedelta(days=n)


def kinds(events):
    return [event.kind for event in events]


def test_a_new_coupon_has_only_its_issue(coupon, manager_a):
    events = coupon_life(coupon)

    assert kinds(events) == ["issued"]
    issued = events[0]
    assert issued.at == coupon.issued_at
    assert issued.actor == manager_a.get_full_name()
    assert f"#{coupon.batch_id}" in issued.summary
    assert "导购单发" in issued.summary
    assert issued.label == "发放"


def test_a_full_life_is_told_in_time_order(coupon, store_a, guide_a, hq_admin):
    # given: reminded, redeemed, reversed by a refund, redeemed again, then voided by HQ
    Coupon.objects.filter(pk=coupon.pk).update(reminded_on=timezone.localdate(days_ago(8)))
    redeem(coupon, store_a, "POS-0001", at=days_ago(5), guide=guide_a)
    redemption_reverse(store=store_a, code=coupon.code, refund_no="R1", at=days_ago(4))
    redeem(coupon, store_a, "POS-0002", at=days_ago(3))
    coupon_status_change(coupon=coupon, to=CouponStatus.VOIDED, actor=hq_admin, reason="void")
    # when
    events = coupon_life(coupon)
    # then
    assert kinds(events) == ["issued", "reminded", "redeemed", "reversed", "redeemed", "voided"]
    first_use = events[2]
    assert (first_use.order_no, first_use.store, first_use.guide) == (
        "POS-0001",
        store_a,
        guide_a.get_full_name(),
    )
    assert (first_use.order_amount, first_use.discount) == (Decimal("302.00"), Decimal("30.00"))
    assert "抵扣 30.00 元" in first_use.summary
    reversal = events[3]
    assert (reversal.refund_no, reversal.usable_again) == ("R1", True)
    assert events[-1].actor == hq_admin.get_full_name()


def test_a_reversal_that_voids_the_coupon_is_one_event(member_a, store_a):
    coupon = CouponFactory(member=member_a, batch__template__reusable_after_refund=False)
    redeem(coupon, store_a, "POS-0001", at=timezone.now())
    redemption_reverse(store=store_a, code=coupon.code, refund_no="R1")

    events = coupon_life(coupon)

    assert kinds(events) == ["issued", "redeemed", "reversed"]
    assert events[-1].usable_again is False
    assert "作废" in events[-1].summary


def test_expiry_by_the_nightly_job_is_told_with_the_system_as_actor(coupon):
    Coupon.objects.filter(pk=coupon.pk).update(status=CouponStatus.EXPIRED)
    coupon_audit_bulk(
        coupon_ids=[coupon.pk],
        before=CouponStatus.ISSUED,
        to=CouponStatus.EXPIRED,
        reason="expired",
    )

    events = coupon_life(coupon)

    assert kinds(events) == ["issued", "expired"]
    assert events[-1].actor == "系统"


def test_a_store_user_does_not_see_another_stores_guide(coupon, store_b, manager_a, hq_admin):
    guide_b = GuideFactory(store=store_b, first_name="CANARYGUIDEB")
    redeem(coupon, store_b, "POS-B1", at=timezone.now(), guide=guide_b)

    as_manager = coupon_life(coupon, viewer=manager_a)
    as_hq = coupon_life(coupon, viewer=hq_admin)

    assert as_manager[-1].store == store_b
    assert as_manager[-1].guide == ""
    assert "CANARYGUIDEB" not in repr(as_manager)
    assert as_hq[-1].guide == "CANARYGUIDEB"


def test_the_life_costs_three_queries_however_long(
    coupon, store_a, guide_a, django_assert_num_queries
):
    for i in range(5):
        redeem(coupon, store_a, f"POS-{i}", at=timezone.now() + timedelta(seconds=i), guide=guide_a)
        redemption_reverse(store=store_a, code=coupon.code, refund_no=f"R{i}")
    ContentType.objects.get_for_model(Coupon)  # cached once per process in production

    with django_assert_num_queries(3):
        events = coupon_life(coupon)

    assert kinds(events).count("reversed") == 5


def test_another_stores_issuer_is_not_named_to_a_store_user(member_a, store_b, manager_a, hq_admin):
    # given: a guide of store B handed the coupon out before the member moved to store A
    guide_b = GuideFactory(store=store_b, first_name="CANARYISSUERB")
    coupon = CouponFactory(
        member=member_a,
        batch__store=store_b,
        batch__source=BatchSource.SINGLE,
        batch__created_by=guide_b,
    )
    # when
    as_manager = coupon_life(coupon, viewer=manager_a)
    as_hq = coupon_life(coupon, viewer=hq_admin)
    # then
    assert "CANARYISSUERB" not in repr(as_manager)
    assert as_manager[0].kind == "issued" and as_manager[0].actor == ""
    assert as_hq[0].actor == "CANARYISSUERB"
