"""coupon_redeem: one conditional UPDATE, one Redemption row, one audit row (INV-COUPON-ONCE,
INV-AUDIT). The threaded proof on Postgres is tests/pos/test_coupon_concurrency.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from coupons.models import Coupon, CouponStatus, Redemption
from coupons.services import redemption as redemption_module
from coupons.services.basket import Basket
from coupons.services.redemption import CouponRefused, coupon_redeem
from members.audit import LogEntry
from members.errors import RuleViolation
from tests.coupons.factories import CouponFactory
from tests.members.factories import GuideFactory, OrderFactory

pytestmark = pytest.mark.django_db

CART = Basket(amount=Decimal("302.00"))


@pytest.fixture
def coupon(member_a):
    return CouponFactory(member=member_a)


def redeem(coupon, store, **overrides):
    arguments = {
        "store": store,
        "code": coupon.code,
        "phone": coupon.member.phone,
        "order_no": "POS-0001",
        "basket": CART,
    }
    return coupon_redeem(**{**arguments, **overrides})


def test_redeeming_records_the_redemption_and_marks_the_coupon(coupon, store_a, guide_a):
    at = timezone.now() - timedelta(minutes=5)

    redemption = redeem(coupon, store_a, guide_code=guide_a.guide_code, at=at)

    assert (redemption.store, redemption.order_no, redemption.guide) == (
        store_a,
        "POS-0001",
        guide_a,
    )
    assert (redemption.order_amount, redemption.discount) == (Decimal("302.00"), Decimal("30.00"))
    assert redemption.redeemed_at == at
    assert redemption.order is None
    assert redemption.reversed_at is None
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.REDEEMED
    assert coupon.status_changed_at == at


def test_redeeming_writes_one_audit_row(coupon, store_a):
    redemption = redeem(coupon, store_a)

    entry = LogEntry.objects.get(object_pk=str(coupon.pk))
    assert entry.additional_data["event"] == "coupon_redeemed"
    assert entry.additional_data["order_no"] == "POS-0001"
    assert entry.additional_data["redemption"] == redemption.pk
    assert entry.changes_dict["status"] == ["issued", "redeemed"]


def test_redeeming_twice_is_already_used_409(coupon, store_a):
    redeem(coupon, store_a)

    with pytest.raises(CouponRefused) as refused:
        redeem(coupon, store_a, order_no="POS-0002")

    assert (refused.value.code, refused.value.status_code) == ("already_used", 409)
    assert Redemption.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [
        ({"code": "NOPE"}, "unknown_coupon", 404),
        ({"phone": "13700009999"}, "not_this_member", 400),
        ({"basket": Basket(amount=Decimal("199.99"))}, "min_spend_not_met", 400),
    ],
)
def test_refused_redemption_changes_nothing(coupon, store_a, overrides, code, status):
    with pytest.raises(CouponRefused) as refused:
        redeem(coupon, store_a, **overrides)

    assert (refused.value.code, refused.value.status_code) == (code, status)
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED
    assert not Redemption.objects.exists()
    assert not LogEntry.objects.filter(object_pk=str(coupon.pk)).exists()


def test_order_uploaded_already_is_linked_at_once(coupon, store_a):
    order = OrderFactory(store=store_a, order_no="POS-0001", member=coupon.member)

    assert redeem(coupon, store_a).order == order


def test_order_of_another_store_with_that_number_is_not_linked(coupon, store_a, store_b):
    OrderFactory(store=store_b, order_no="POS-0001")

    assert redeem(coupon, store_a).order is None


@pytest.mark.parametrize("whose", ["unknown", "other_store"])
def test_guide_code_must_name_a_guide_of_the_till_store(coupon, store_a, store_b, whose):
    code = "NOBODY" if whose == "unknown" else GuideFactory(store=store_b).guide_code

    with pytest.raises(RuleViolation) as refused:
        redeem(coupon, store_a, guide_code=code)

    assert refused.value.code == "guide_not_in_store"
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED


def test_one_order_may_use_several_different_coupons(member_a, store_a):
    first, second = CouponFactory(member=member_a), CouponFactory(member=member_a)

    redeem(first, store_a)
    redeem(second, store_a)

    assert Redemption.objects.filter(order_no="POS-0001").count() == 2


def test_the_conditional_update_refuses_a_coupon_used_after_it_was_validated(
    coupon, store_a, monkeypatch
):
    # given another till that redeems the coupon between our validation and our UPDATE
    def other_till_redeems_now(store, guide_code):
        Coupon.objects.filter(pk=coupon.pk).update(status=CouponStatus.REDEEMED)

    monkeypatch.setattr(redemption_module, "guide_by_code", other_till_redeems_now)
    # when we redeem
    with pytest.raises(CouponRefused) as refused:
        redeem(coupon, store_a)
    # then the UPDATE changed no row and the answer says why, precisely
    assert refused.value.code == "already_used"
    assert not Redemption.objects.exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"member": "member_b"}, "not_this_member"),
        ({"min_spend": Decimal("500.00")}, "min_spend_not_met"),
        ({"valid_until": timezone.localdate() - timedelta(days=1)}, "expired"),
    ],
    ids=["holder", "min-spend", "validity"],
)
def test_the_conditional_update_rechecks_the_coupons_own_rules(
    coupon, store_a, request, monkeypatch, change, reason
):
    # given the coupon's row changes between our validation and our UPDATE
    values = {k: request.getfixturevalue(v) if k == "member" else v for k, v in change.items()}

    def row_changes_meanwhile(store, guide_code):
        if "valid_until" in values:
            Coupon.objects.filter(pk=coupon.pk).update(valid_from=values["valid_until"])
        Coupon.objects.filter(pk=coupon.pk).update(**values)

    monkeypatch.setattr(redemption_module, "guide_by_code", row_changes_meanwhile)
    # when we redeem, then the WHERE clause refuses it and the re-read names the rule
    with pytest.raises(CouponRefused) as refused:
        redeem(coupon, store_a)

    assert refused.value.code == reason
    assert Coupon.objects.get(pk=coupon.pk).status == CouponStatus.ISSUED


def test_a_second_live_redemption_row_is_refused_by_the_database(coupon, store_a):
    # INV-COUPON-ONCE is backed by the partial unique constraint, not only by the code
    first = redeem(coupon, store_a)

    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(
            coupon=coupon,
            store=store_a,
            order_no="POS-0002",
            order_amount=Decimal("302.00"),
            discount=Decimal("30.00"),
            redeemed_at=timezone.now(),
        )

    first.reversed_at = timezone.now()
    first.save()
    Redemption.objects.create(
        coupon=coupon,
        store=store_a,
        order_no="POS-0002",
        order_amount=Decimal("302.00"),
        discount=Decimal("30.00"),
        redeemed_at=timezone.now(),
    )
    assert Redemption.objects.filter(coupon=coupon).count() == 2


def test_an_inconsistent_live_row_is_answered_as_already_used(coupon, store_a):
    # a live row left by hand while the coupon still says issued: the constraint answers
    Redemption.objects.create(
        coupon=coupon,
        store=store_a,
        order_no="HAND",
        order_amount=Decimal("302.00"),
        discount=Decimal("30.00"),
        redeemed_at=timezone.now(),
    )

    with pytest.raises(CouponRefused) as refused:
        redeem(coupon, store_a)

    assert refused.value.code == "already_used"
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED
