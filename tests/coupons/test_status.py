"""The coupon kind rule and the status transition table (one door, audited)."""

from decimal import Decimal

import pytest

from coupons.models import CouponKind, CouponSettings, CouponStatus, coupon_kind
from coupons.services.status import coupon_status_change
from coupons.services.templates import template_kinds_refresh
from members.audit import LogEntry
from members.transitions import IllegalTransition
from tests.coupons.factories import CouponFactory, CouponTemplateFactory

pytestmark = pytest.mark.django_db

CUT = Decimal("50.00")


@pytest.mark.parametrize(
    ("face", "min_spend", "kind"),
    [
        ("50.00", "0", CouponKind.NO_THRESHOLD_LARGE),
        ("49.99", "0", CouponKind.NO_THRESHOLD_SMALL),
        ("50.00", "300", CouponKind.THRESHOLD_LARGE),
        ("10.00", "100", CouponKind.THRESHOLD_SMALL),
    ],
)
def test_kind_follows_min_spend_and_cutoff(face, min_spend, kind):
    assert (
        coupon_kind(face_value=Decimal(face), min_spend=Decimal(min_spend), large_from=CUT) == kind
    )


def test_changing_the_cutoff_rederives_template_kinds():
    template = CouponTemplateFactory(face_value=Decimal("30.00"), min_spend=Decimal("0.00"))
    settings_row = CouponSettings.current()
    settings_row.large_face_value_from = Decimal("20.00")
    settings_row.save()

    assert template_kinds_refresh(settings_row=settings_row) == 1

    template.refresh_from_db()
    assert template.kind == CouponKind.NO_THRESHOLD_LARGE


def test_status_change_writes_one_audit_row(hq_admin):
    coupon = CouponFactory()

    coupon = coupon_status_change(
        coupon=coupon, to=CouponStatus.VOIDED, actor=hq_admin, reason="void"
    )

    assert coupon.status == CouponStatus.VOIDED
    entry = LogEntry.objects.get(object_pk=str(coupon.pk))
    assert entry.additional_data["event"] == "coupon_void"
    assert entry.actor == hq_admin


def test_moving_to_the_status_held_is_a_noop():
    coupon = CouponFactory(status=CouponStatus.VOIDED)

    coupon_status_change(coupon=coupon, to=CouponStatus.VOIDED, reason="void")

    assert not LogEntry.objects.filter(object_pk=str(coupon.pk)).exists()


def test_an_expired_coupon_cannot_be_redeemed():
    coupon = CouponFactory(status=CouponStatus.EXPIRED)

    with pytest.raises(IllegalTransition):
        coupon_status_change(coupon=coupon, to=CouponStatus.REDEEMED, reason="redeem")
