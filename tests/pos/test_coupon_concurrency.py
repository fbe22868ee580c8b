"""INV-COUPON-ONCE and INV-POS-RETRY under real concurrency (Postgres): twelve threads behind a
barrier, each with its own database connection (closed at its end), through the service and
through HTTP."""

from decimal import Decimal

import pytest
from django.test import Client

from coupons.models import CouponStatus, Redemption
from coupons.services.basket import Basket
from coupons.services.redemption import CouponRefused, coupon_redeem
from members.audit import LogEntry
from members.errors import RuleViolation
from pos.models import IdempotentRequest
from tests.coupons.factories import CouponFactory
from tests.pos.conftest import Till
from tests.pos.test_concurrency import THREADS, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coupon(member_a):
    return CouponFactory(member=member_a, code="CPN000000001")


def redeem_body(coupon, order_no="POS-0001"):
    return {
        "code": coupon.code,
        "phone": coupon.member.phone,
        "order_no": order_no,
        "amount": "302.00",
    }


def statuses_of(responses):
    return sorted(getattr(r, "status_code", repr(r)) for r in responses)


def audit_events(coupon, event):
    entries = LogEntry.objects.filter(object_pk=str(coupon.pk))
    return [e for e in entries if e.additional_data.get("event") == event]


def test_twelve_tills_redeeming_one_coupon_through_the_service_redeem_it_once(coupon, store_a):
    # given twelve tills, each with its own order, presenting the same coupon at the same instant
    def redeem(i):
        return coupon_redeem(
            store=store_a,
            code=coupon.code,
            phone=coupon.member.phone,
            order_no=f"POS-{i:04d}",
            basket=Basket(amount=Decimal("302.00")),
        )

    # when they all redeem at once
    results = run_together(redeem)
    # then exactly one redeemed it; every other till was told it is already used
    won = [r for r in results if isinstance(r, Redemption)]
    refused = [r for r in results if isinstance(r, CouponRefused)]
    assert len(won) == 1, results
    assert len(refused) == THREADS - 1, results
    assert {(r.code, r.status_code) for r in refused} == {("already_used", 409)}
    assert Redemption.objects.get().order_no == won[0].order_no
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.REDEEMED
    assert len(audit_events(coupon, "coupon_redeemed")) == 1


def test_twelve_tills_redeeming_one_coupon_over_http_get_one_201(key_a, coupon):
    def post(i):
        till = Till(key_a[1], Client())
        return till.redeem(redeem_body(coupon, f"POS-{i:04d}"), idempotency_key=f"key-{i}")

    responses = run_together(post)

    assert statuses_of(responses) == [201] + [409] * (THREADS - 1)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_used"}
    assert Redemption.objects.count() == 1
    # each key has its recorded answer, so each till's retry hears what it was told
    assert IdempotentRequest.objects.count() == THREADS


def test_one_idempotency_key_from_twelve_threads_has_one_effect(key_a, coupon, store_a):
    body = redeem_body(coupon)

    def post(_i):
        return Till(key_a[1], Client()).redeem(body, idempotency_key="same-key")

    responses = run_together(post)

    statuses = statuses_of(responses)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
        "idempotency_in_flight"
    }
    assert len({r.content for r in responses if r.status_code == 201}) == 1
    assert Redemption.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1
    # a retry after the storm replays the first answer byte for byte
    first = next(r for r in responses if r.status_code == 201)
    later = Till(key_a[1]).redeem(body, idempotency_key="same-key")
    assert (later.status_code, later.content) == (201, first.content)
    # and the same key with another payload is refused
    other = Till(key_a[1]).redeem(redeem_body(coupon, "POS-9999"), idempotency_key="same-key")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


@pytest.fixture
def redeemed(key_a, coupon):
    assert Till(key_a[1]).redeem(redeem_body(coupon)).status_code == 201
    return coupon


def test_twelve_refunds_racing_reverse_the_redemption_once(key_a, redeemed):
    def reverse(i):
        till = Till(key_a[1], Client())
        return till.reverse_coupon(redeemed.code, {"refund_no": f"R{i}"}, idempotency_key=f"r{i}")

    responses = run_together(reverse)

    assert statuses_of(responses) == [200] + [409] * (THREADS - 1)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_reversed"}
    redemption = Redemption.objects.get()
    winner = next(r for r in responses if r.status_code == 200).json()
    assert redemption.reversal_refund_no == winner["refund_no"]
    redeemed.refresh_from_db()
    assert redeemed.status == CouponStatus.ISSUED
    assert len(audit_events(redeemed, "coupon_reversed")) == 1


def test_a_full_refund_racing_an_explicit_reversal_reverses_once(key_a, redeemed, order_body):
    # given the sale uploaded, then a full refund and a hand reversal sent at the same instant
    assert Till(key_a[1]).create_order(order_body()).status_code == 201
    refund = {"refund_no": "R-FULL", "amount": "302.00", "refunded_at": "2024-10-16T10:00:00+08:00"}

    def race(i):
        till = Till(key_a[1], Client())
        if i % 2:
            return till.refund("POS-0001", refund, idempotency_key=f"refund-{i}")
        return till.reverse_coupon(redeemed.code, {"refund_no": f"R-HAND-{i}"})

    responses = run_together(race, count=2)
    # then the redemption was reversed once, by one of them
    assert all(r.status_code < 500 for r in responses), responses
    redemption = Redemption.objects.get()
    assert redemption.reversal_refund_no in {"R-FULL", "R-HAND-0"}
    assert len(audit_events(redeemed, "coupon_reversed")) == 1
    refund_answer = responses[1].json()
    reversed_by_refund = refund_answer["coupons_reversed"]
    assert (len(reversed_by_refund) == 1) == (redemption.reversal_refund_no == "R-FULL")


def test_twelve_threads_reversing_through_the_service_reverse_once(redeemed, store_a):
    from coupons.services.reversal import redemption_reverse

    results = run_together(
        lambda i: redemption_reverse(store=store_a, code=redeemed.code, refund_no=f"R{i}")
    )

    refused = [r for r in results if isinstance(r, RuleViolation)]
    assert len(refused) == THREADS - 1, results
    assert {r.code for r in refused} == {"already_reversed"}
    assert Redemption.objects.live().count() == 0
