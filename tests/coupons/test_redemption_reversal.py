"""redemption_reverse: a refund reverses a redemption at most once; the coupon comes back when
the template allows reuse and is voided otherwise, through the transition table (audited)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from coupons.models import CouponStatus, Redemption
from coupons.services.basket import Basket
from coupons.services.redemption import coupon_redeem
from coupons.services.reversal import order_redemptions_reverse, redemption_reverse
from coupons.services.status import coupon_status_change
from members.audit import LogEntry
from members.errors import RuleViolation
from tests.coupons.factories import CouponFactory, CouponTemplateFactory
from tests.members.factories import OrderFactory

pytestmark = pytest.mark.django_db

CART = Basket(amount=Decimal("302.00"))


def redeem(coupon, store, order_no="POS-0001"):
    return coupon_redeem(
        store=store, code=coupon.code, phone=coupon.member.phone, order_no=order_no, basket=CART
    )


def reverse(coupon, store, refund_no="R1", **kwargs):
    return redemption_reverse(store=store, code=coupon.code, refund_no=refund_no, **kwargs)


@pytest.fixture
def coupon(member_a):
    return CouponFactory(member=member_a, batch__template__reusable_after_refund=True)


@pytest.fixture
def single_use(member_a):
    return CouponFactory(member=member_a, batch__template__reusable_after_refund=False)


def test_reversal_gives_a_reusable_coupon_back(coupon, store_a):
    redemption = redeem(coupon, store_a)

    result = reverse(coupon, store_a, "R-0001")

    assert result.coupon_usable_again is True
    assert result.redemption == redemption
    redemption.refresh_from_db()
    assert redemption.reversed_at is not None
    assert redemption.reversal_refund_no == "R-0001"
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED


def test_reversal_voids_a_coupon_whose_template_forbids_reuse(single_use, store_a):
    redeem(single_use, store_a)

    result = reverse(single_use, store_a)

    assert result.coupon_usable_again is False
    single_use.refresh_from_db()
    assert single_use.status == CouponStatus.VOIDED


def test_reversal_writes_an_audit_row_for_the_coupon(single_use, store_a):
    redeem(single_use, store_a)

    reverse(single_use, store_a, "R-77")

    entry = LogEntry.objects.filter(object_pk=str(single_use.pk)).latest("pk")
    assert entry.additional_data["event"] == "coupon_reversed"
    assert entry.additional_data["refund_no"] == "R-77"
    assert entry.changes_dict["status"] == ["redeemed", "voided"]


@pytest.mark.parametrize("second_refund_no", ["R1", "R2"])
def test_a_redemption_is_reversed_at_most_once(single_use, store_a, second_refund_no):
    redeem(single_use, store_a)
    reverse(single_use, store_a, "R1")

    with pytest.raises(RuleViolation) as refused:
        reverse(single_use, store_a, second_refund_no)

    assert (refused.value.code, refused.value.status_code) == ("already_reversed", 409)
    assert "冲正" in str(refused.value.message)
    assert Redemption.objects.get().reversal_refund_no == "R1"


def test_a_reversed_reusable_coupon_can_be_redeemed_again(coupon, store_a):
    redeem(coupon, store_a, "POS-0001")
    reverse(coupon, store_a)

    again = redeem(coupon, store_a, "POS-0002")

    assert again.order_no == "POS-0002"
    assert Redemption.objects.filter(coupon=coupon).count() == 2
    assert Redemption.objects.live().get(coupon=coupon) == again


def test_an_old_refund_retried_never_reverses_the_new_redemption(coupon, store_a):
    redeem(coupon, store_a, "POS-0001")
    reverse(coupon, store_a, "R1")
    again = redeem(coupon, store_a, "POS-0002")

    with pytest.raises(RuleViolation) as refused:
        reverse(coupon, store_a, "R1")

    assert refused.value.code == "already_reversed"
    again.refresh_from_db()
    assert again.reversed_at is None


def test_a_new_refund_reverses_the_new_redemption(coupon, store_a):
    redeem(coupon, store_a, "POS-0001")
    reverse(coupon, store_a, "R1")
    again = redeem(coupon, store_a, "POS-0002")

    assert reverse(coupon, store_a, "R2").redemption == again


def test_reversal_can_be_pinned_to_the_order(coupon, store_a):
    redeem(coupon, store_a, "POS-0001")

    with pytest.raises(RuleViolation) as refused:
        reverse(coupon, store_a, order_no="POS-9999")

    assert (refused.value.code, refused.value.status_code) == ("not_redeemed_here", 404)
    assert reverse(coupon, store_a, order_no="POS-0001").redemption.order_no == "POS-0001"


def test_a_coupon_given_back_after_its_last_day_is_not_usable_again(member_a, store_a):
    yesterday = timezone.localdate() - timedelta(days=1)
    coupon = CouponFactory(
        member=member_a, valid_from=yesterday - timedelta(days=10), valid_until=yesterday
    )
    redeem_at = timezone.now() - timedelta(days=2)
    coupon_redeem(
        store=store_a,
        code=coupon.code,
        phone=member_a.phone,
        order_no="OLD",
        basket=CART,
        at=redeem_at,
    )

    result = reverse(coupon, store_a)

    assert result.coupon_usable_again is False
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED  # the nightly expiry job takes it from here


def test_a_coupon_hq_voided_after_use_stays_voided_when_reversed(coupon, store_a, hq_admin):
    redeem(coupon, store_a)
    coupon_status_change(coupon=coupon, to=CouponStatus.VOIDED, actor=hq_admin, reason="void")

    result = reverse(coupon, store_a)

    assert result.coupon_usable_again is False
    assert result.redemption.reversed_at is not None
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.VOIDED


def test_another_stores_redemption_cannot_be_reversed_here(coupon, store_a, store_b):
    redeem(coupon, store_a)

    with pytest.raises(RuleViolation) as refused:
        reverse(coupon, store_b)

    assert refused.value.code == "not_redeemed_here"
    assert Redemption.objects.live().count() == 1


def test_unknown_or_unused_coupon_cannot_be_reversed(coupon, store_a):
    with pytest.raises(RuleViolation) as unused:
        reverse(coupon, store_a)
    with pytest.raises(RuleViolation) as unknown:
        redemption_reverse(store=store_a, code="NOPE", refund_no="R1")

    assert unused.value.code == "not_redeemed_here"
    assert (unknown.value.code, unknown.value.status_code) == ("unknown_coupon", 404)


def test_order_reversal_reverses_every_live_redemption_of_the_order(member_a, store_a):
    reusable = CouponFactory(member=member_a)
    single = CouponFactory(member=member_a, batch__template=CouponTemplateFactory())
    single.template.reusable_after_refund = False
    single.template.save()
    other_order = CouponFactory(member=member_a)
    for c in (reusable, single):
        redeem(c, store_a, "POS-0001")
    redeem(other_order, store_a, "POS-0002")
    order = OrderFactory(store=store_a, order_no="POS-0001", member=member_a)

    results = order_redemptions_reverse(order=order, refund_no="R1")

    assert {(r.redemption.coupon_id, r.coupon_usable_again) for r in results} == {
        (reusable.pk, True),
        (single.pk, False),
    }
    assert Redemption.objects.live().get().order_no == "POS-0002"
    assert order_redemptions_reverse(order=order, refund_no="R2") == []
