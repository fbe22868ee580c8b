"""POST /api/pos/coupons/validate/, /redeem/ and /<code>/reverse/: answers, retries (INV-POS-RETRY)
and what a till may learn about a member (INV-STORE-ISOLATION)."""

from decimal import Decimal

import pytest
import yaml
from django.urls import reverse

from coupons.models import CouponStatus, Redemption, UsableIn
from members.phones import mask_phone
from pos.models import IdempotentRequest
from tests.coupons.factories import CouponFactory, CouponTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coupon(member_a):
    return CouponFactory(member=member_a, code="CPN000000001", batch__template__name="满200减30")


def basket(coupon, **overrides):
    body = {
        "code": coupon.code,
        "phone": coupon.member.phone,
        "order_no": "POS-0001",
        "amount": "302.00",
        "lines": [
            {"sku": "CLEANSER-01", "quantity": 1, "amount": "128.00"},
            {"sku": "EYE-01", "quantity": 1, "amount": "174.00"},
        ],
    }
    body.update(overrides)
    return body


def refund_body(refund_no="R1", **overrides):
    return {"refund_no": refund_no, **overrides}


def assert_reveals_nothing_of(member, response):
    text = response.content.decode()
    for secret in (member.name, member.phone, mask_phone(member.phone)):
        assert secret not in text, secret


# --- Validate ------------------------------------------------------------------------------------


def test_validate_answers_usable_with_the_discount_and_the_coupon(pos_a, coupon):
    response = pos_a.validate_coupon(basket(coupon))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "usable": True,
        "reason_code": "ok",
        "reason": "该券可以使用，本单可抵扣 30.00 元。",
        "discount": "30.00",
        "coupon": {
            "code": "CPN000000001",
            "face_value": "30.00",
            "min_spend": "200.00",
            "valid_from": coupon.valid_from.isoformat(),
            "valid_until": coupon.valid_until.isoformat(),
            "status": "issued",
            "kind": "threshold_small",
            "kind_label": "有门槛小面额",
            "template_name": "满200减30",
        },
    }


def test_validate_needs_no_idempotency_key_and_changes_nothing(pos_a, coupon):
    response = pos_a.validate_coupon(basket(coupon))

    assert response.status_code == 200
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED
    assert not IdempotentRequest.objects.exists()
    assert not Redemption.objects.exists()


def test_validate_refusal_is_200_with_the_reason(pos_a, coupon):
    response = pos_a.validate_coupon(basket(coupon, amount="150.00", lines=[]))

    assert response.status_code == 200
    body = response.json()
    assert (body["usable"], body["reason_code"], body["discount"]) == (
        False,
        "min_spend_not_met",
        "0.00",
    )
    assert "还差 50.00 元" in body["reason"]
    assert body["coupon"]["code"] == coupon.code


def test_validate_needs_no_order_no(pos_a, coupon):
    body = basket(coupon)
    del body["order_no"]

    assert pos_a.validate_coupon(body).json()["usable"] is True


def test_code_is_matched_ignoring_case_and_spaces(pos_a, coupon):
    response = pos_a.validate_coupon(basket(coupon, code=" cpn 0000 00001 "))

    assert response.json()["coupon"]["code"] == "CPN000000001"


# --- Redeem --------------------------------------------------------------------------------------


def test_redeem_answers_201_with_the_redemption(pos_a, coupon, guide_a, store_a):
    response = pos_a.redeem(basket(coupon, guide_code=guide_a.guide_code))

    assert response.status_code == 201, response.content
    body = response.json()
    redemption = Redemption.objects.get()
    assert body["id"] == redemption.pk
    assert (body["code"], body["order_no"], body["store_code"]) == (
        coupon.code,
        "POS-0001",
        "A001",
    )
    assert (body["order_amount"], body["discount"]) == ("302.00", "30.00")
    assert body["guide_code"] == guide_a.guide_code
    assert body["member_phone"] == mask_phone(coupon.member.phone)
    assert body["coupon"]["status"] == "redeemed"
    assert coupon.member.name not in response.content.decode()


def test_redeem_retry_replays_the_first_answer_byte_for_byte(pos_a, coupon):
    first = pos_a.redeem(basket(coupon), idempotency_key="redeem-1")

    again = pos_a.redeem(basket(coupon), idempotency_key="redeem-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Redemption.objects.count() == 1


def test_redeem_same_key_other_payload_is_422(pos_a, coupon):
    pos_a.redeem(basket(coupon), idempotency_key="redeem-1")

    response = pos_a.redeem(basket(coupon, order_no="POS-0002"), idempotency_key="redeem-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Redemption.objects.get().order_no == "POS-0001"


def test_redeem_again_with_a_new_key_is_409_already_used(pos_a, coupon):
    pos_a.redeem(basket(coupon))

    response = pos_a.redeem(basket(coupon, order_no="POS-0002"))

    assert response.status_code == 409
    assert response.json() == {"code": "already_used", "detail": "该券已经使用过了，不能再次使用。"}


def test_redeem_refusal_is_replayed_even_after_the_cause_is_gone(pos_a, coupon):
    # given a redemption refused because the basket fell short of the minimum spend
    body = basket(coupon, amount="199.00", lines=[])
    first = pos_a.redeem(body, idempotency_key="redeem-1")
    assert (first.status_code, first.json()["code"]) == (400, "min_spend_not_met")
    # when HQ lowers the coupon's threshold and the till retries with the same key
    coupon.min_spend = Decimal("0.00")
    coupon.save()
    again = pos_a.redeem(body, idempotency_key="redeem-1")
    # then the till hears the first answer again; a new attempt needs a new key
    assert (again.status_code, again.content) == (400, first.content)
    assert not Redemption.objects.exists()
    assert pos_a.redeem(body).status_code == 201


def test_redeem_unknown_code_is_404(pos_a, coupon):
    response = pos_a.redeem(basket(coupon, code="NOPE0001"))

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_coupon"


# --- Reverse -------------------------------------------------------------------------------------


def test_reverse_gives_the_coupon_back_and_says_so(pos_a, coupon):
    pos_a.redeem(basket(coupon))

    response = pos_a.reverse_coupon(coupon.code, refund_body("R1"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("code", "order_no", "refund_no", "coupon_status")} == {
        "code": coupon.code,
        "order_no": "POS-0001",
        "refund_no": "R1",
        "coupon_status": "issued",
    }
    assert body["usable_again"] is True
    assert body["reversed_at"]


def test_reverse_retry_replays_and_a_second_reversal_is_409(pos_a, coupon):
    pos_a.redeem(basket(coupon))
    first = pos_a.reverse_coupon(coupon.code, refund_body("R1"), idempotency_key="rev-1")

    again = pos_a.reverse_coupon(coupon.code, refund_body("R1"), idempotency_key="rev-1")
    second = pos_a.reverse_coupon(coupon.code, refund_body("R2"), idempotency_key="rev-2")

    assert (again.status_code, again.content) == (200, first.content)
    assert second.status_code == 409
    assert second.json()["code"] == "already_reversed"


def test_reverse_accepts_the_code_in_any_case(pos_a, coupon):
    pos_a.redeem(basket(coupon))

    assert pos_a.reverse_coupon("cpn000000001", refund_body()).status_code == 200


def test_reverse_without_a_redemption_is_404(pos_a, coupon):
    response = pos_a.reverse_coupon(coupon.code, refund_body())

    assert response.status_code == 404
    assert response.json()["code"] == "not_redeemed_here"


def test_reverse_pinned_to_another_order_is_404(pos_a, coupon):
    pos_a.redeem(basket(coupon))

    response = pos_a.reverse_coupon(coupon.code, refund_body(order_no="POS-9999"))

    assert response.status_code == 404
    assert Redemption.objects.live().exists()


# --- Isolation -----------------------------------------------------------------------------------


def test_a_member_of_store_b_may_use_a_chain_wide_coupon_at_store_a(pos_a, member_b):
    coupon = CouponFactory(member=member_b)

    response = pos_a.redeem(basket(coupon))

    assert response.status_code == 201
    assert response.json()["member_phone"] == mask_phone(member_b.phone)
    assert member_b.name not in response.content.decode()
    assert member_b.phone not in response.content.decode()
    assert Redemption.objects.get().store.code == "A001"


def test_a_coupon_for_store_b_only_is_refused_at_store_a(pos_a, member_b, store_b):
    template = CouponTemplateFactory(usable_in=UsableIn.STORES)
    template.stores.set([store_b])
    coupon = CouponFactory(member=member_b, batch__template=template)

    response = pos_a.redeem(basket(coupon))

    assert response.status_code == 400
    assert response.json()["code"] == "not_this_store"
    assert_reveals_nothing_of(member_b, response)


@pytest.mark.parametrize("endpoint", ["validate_coupon", "redeem"])
def test_another_members_coupon_reveals_nothing_of_the_holder(pos_a, member_a, member_b, endpoint):
    coupon = CouponFactory(member=member_b)

    response = getattr(pos_a, endpoint)(basket(coupon, phone=member_a.phone))

    assert response.status_code in (200, 400)
    assert "not_this_member" in response.content.decode()
    assert_reveals_nothing_of(member_b, response)
    if endpoint == "validate_coupon":
        assert response.json()["coupon"] is None


@pytest.mark.parametrize("endpoint", ["validate_coupon", "redeem"])
def test_an_unknown_code_reveals_nothing(pos_a, member_a, member_b, endpoint):
    response = getattr(pos_a, endpoint)(basket(CouponFactory(member=member_b), code="ZZZ"))

    assert "unknown_coupon" in response.content.decode()
    assert_reveals_nothing_of(member_b, response)


def test_store_b_cannot_reverse_store_as_redemption(pos_a, pos_b, coupon):
    pos_a.redeem(basket(coupon))

    response = pos_b.reverse_coupon(coupon.code, refund_body())

    assert response.status_code == 404
    assert Redemption.objects.live().count() == 1
    assert_reveals_nothing_of(coupon.member, response)


def test_a_staff_session_cannot_call_the_coupon_endpoints(client, manager_a, coupon):
    client.force_login(manager_a)

    response = client.post(
        reverse("pos:coupon-validate"), basket(coupon), content_type="application/json"
    )

    assert response.status_code == 401


# --- OpenAPI -------------------------------------------------------------------------------------


@pytest.fixture
def schema(client, hq_admin):
    client.force_login(hq_admin)
    return yaml.safe_load(client.get(reverse("api-schema")).content)


@pytest.mark.parametrize("path", ["/api/pos/coupons/redeem/", "/api/pos/coupons/{code}/reverse/"])
def test_coupon_writes_are_documented_with_the_idempotency_key(schema, path):
    operation = schema["paths"][path]["post"]
    assert operation["security"] == [{"PosApiKey": []}]
    header = next(p for p in operation["parameters"] if p["in"] == "header")
    assert (header["name"], header["required"]) == ("Idempotency-Key", True)
    assert {"400", "401", "404", "409", "422"} <= operation["responses"].keys()


def test_validate_is_documented_without_an_idempotency_key(schema):
    operation = schema["paths"]["/api/pos/coupons/validate/"]["post"]
    assert operation["security"] == [{"PosApiKey": []}]
    assert not [p for p in operation.get("parameters", []) if p["in"] == "header"]
    assert "200" in operation["responses"]
