"""INV-NO-500 on the POS coupon endpoints: every malformed body, field or code is a 4xx with a
Chinese message, and changes nothing."""

import re

import pytest
from django.urls import reverse

from coupons.models import CouponStatus, Redemption
from tests.coupons.factories import CouponFactory

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_BODIES = [
    b"",
    b"{",
    b"not json",
    b"\xff\xfe\x00",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"code": "\\ud800"}',
    b"1" * 5000,
    b"[]",
    b"42",
    b'"text"',
    b"null",
]
RAW_IDS = [
    "empty",
    "truncated",
    "text",
    "binary",
    "deeply-nested",
    "lone-surrogate",
    "huge-int",
    "list",
    "number",
    "string",
    "null",
]
BASKET_FIELDS = [
    ("code", None),
    ("code", []),
    ("code", {"a": 1}),
    ("code", ""),
    ("code", "   "),
    ("code", "x" * 65),
    ("code", "A\x00B"),
    ("phone", None),
    ("phone", 1.38e10),
    ("phone", "12345"),
    ("phone", ""),
    ("phone", "1" * 40),
    ("phone", ["13900000001"]),
    ("amount", "1e400"),
    ("amount", 1e308),
    ("amount", 10**40),
    ("amount", "NaN"),
    ("amount", "Infinity"),
    ("amount", "-5.00"),
    ("amount", "0.00"),
    ("amount", "1.001"),
    ("amount", ["1"]),
    ("amount", None),
    ("amount", True),
    ("lines", "CLEANSER-01"),
    ("lines", [None]),
    ("lines", [{}]),
    ("lines", [""]),
    ("lines", [{"sku": "CLEANSER-01"}]),
    ("lines", [{"sku": "CLEANSER-01", "quantity": 10**20, "amount": "1.00"}]),
    ("lines", [{"sku": "CLEANSER-01", "quantity": 1, "amount": "-1.00"}]),
    ("lines", [{"sku": "CLEANSER-01", "quantity": 1, "amount": "1.00"}] * 2),
    ("lines", [{"sku": "CLEANSER-01", "quantity": 1, "amount": "1.00"}] * 501),
    ("lines", [[[[["deep"]]]]]),
]
REDEEM_FIELDS = [
    ("order_no", None),
    ("order_no", ""),
    ("order_no", "x" * 65),
    ("order_no", {"a": 1}),
    ("guide_code", ["G1"]),
    ("guide_code", "x" * 33),
]
REVERSE_BODIES = [
    {},
    {"refund_no": None},
    {"refund_no": ""},
    {"refund_no": "x" * 65},
    {"refund_no": ["R1"]},
    {"refund_no": "R1", "order_no": {"a": 1}},
    {"refund_no": "R1", "order_no": "x" * 65},
]


def assert_clean_4xx(response, statuses=(400,)):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert {"code", "detail"} <= body.keys()
    assert CJK.search(str(body["detail"])), body
    return body


@pytest.fixture
def coupon(member_a):
    return CouponFactory(member=member_a, code="CPN000000001")


@pytest.fixture
def body(coupon):
    return {
        "code": coupon.code,
        "phone": coupon.member.phone,
        "order_no": "POS-0001",
        "amount": "302.00",
        "lines": [{"sku": "CLEANSER-01", "quantity": 1, "amount": "302.00"}],
    }


@pytest.fixture
def redeemed(pos_a, coupon, body):
    assert pos_a.redeem(body).status_code == 201
    return coupon


def assert_nothing_changed(coupon, status=CouponStatus.ISSUED, live=0):
    coupon.refresh_from_db()
    assert coupon.status == status
    assert Redemption.objects.live().count() == live


@pytest.mark.parametrize("raw", RAW_BODIES, ids=RAW_IDS)
@pytest.mark.parametrize("endpoint", ["validate_coupon", "redeem"])
def test_unparseable_or_non_object_body_is_400(pos_a, coupon, endpoint, raw):
    assert_clean_4xx(getattr(pos_a, endpoint)(None, raw=raw))
    assert_nothing_changed(coupon)


@pytest.mark.parametrize("raw", RAW_BODIES, ids=RAW_IDS)
def test_unparseable_or_non_object_reverse_body_is_400(pos_a, redeemed, raw):
    assert_clean_4xx(pos_a.reverse_coupon(redeemed.code, None, raw=raw))
    assert_nothing_changed(redeemed, CouponStatus.REDEEMED, live=1)


@pytest.mark.parametrize(("field", "value"), BASKET_FIELDS)
@pytest.mark.parametrize("endpoint", ["validate_coupon", "redeem"])
def test_malformed_basket_field_is_400_naming_the_field(
    pos_a, coupon, body, endpoint, field, value
):
    answer = assert_clean_4xx(getattr(pos_a, endpoint)({**body, field: value}))

    assert field in answer["errors"], answer
    assert_nothing_changed(coupon)


@pytest.mark.parametrize(("field", "value"), REDEEM_FIELDS)
def test_malformed_redeem_field_is_400_naming_the_field(pos_a, coupon, body, field, value):
    answer = assert_clean_4xx(pos_a.redeem({**body, field: value}))

    assert field in answer["errors"], answer
    assert_nothing_changed(coupon)


@pytest.mark.parametrize("missing", ["code", "phone", "amount"])
@pytest.mark.parametrize("endpoint", ["validate_coupon", "redeem"])
def test_missing_basket_field_is_400(pos_a, body, endpoint, missing):
    del body[missing]

    assert missing in assert_clean_4xx(getattr(pos_a, endpoint)(body))["errors"]


@pytest.mark.parametrize("reverse_body", REVERSE_BODIES)
def test_malformed_reverse_body_is_400(pos_a, redeemed, reverse_body):
    assert_clean_4xx(pos_a.reverse_coupon(redeemed.code, reverse_body))
    assert_nothing_changed(redeemed, CouponStatus.REDEEMED, live=1)


@pytest.mark.parametrize(
    ("path_code", "statuses"),
    [
        ("%00", (400,)),
        ("A%00B", (400,)),
        ("%20%20", (400,)),
        ("N" * 5000, (400,)),
        ("%ED%A0%80", (400, 404)),
        ("券码", (404,)),
        ("NOPE", (404,)),
    ],
    ids=["nul", "inner-nul", "spaces", "very-long", "bad-utf8", "chinese", "unknown"],
)
def test_malformed_or_unknown_code_in_the_url_is_4xx(pos_a, redeemed, path_code, statuses):
    url = reverse("pos:coupon-reverse", args=["CODE"]).replace("CODE", path_code)

    assert_clean_4xx(pos_a.post(url, {"refund_no": "R1"}), statuses)
    assert_nothing_changed(redeemed, CouponStatus.REDEEMED, live=1)


def test_unknown_code_is_404_on_redeem_and_a_refusal_on_validate(pos_a, body):
    body["code"] = "NOSUCHCODE"

    assert_clean_4xx(pos_a.redeem(body), (404,))
    answer = pos_a.validate_coupon(body)
    assert (answer.status_code, answer.json()["reason_code"]) == (200, "unknown_coupon")


def test_unknown_guide_code_is_400(pos_a, coupon, body):
    assert assert_clean_4xx(pos_a.redeem({**body, "guide_code": "G404"}))["code"] == (
        "guide_not_in_store"
    )
    assert_nothing_changed(coupon)


@pytest.mark.parametrize("name", ["pos:coupon-validate", "pos:coupon-redeem", "pos:coupon-reverse"])
def test_form_encoded_body_is_415(pos_a, name):
    url = reverse(name, args=["CPN000000001"] if name.endswith("reverse") else [])

    response = pos_a.client.post(
        url,
        data={"code": "1"},
        HTTP_AUTHORIZATION=f"Api-Key {pos_a.raw_key}",
        HTTP_IDEMPOTENCY_KEY="k1",
    )

    assert_clean_4xx(response, (415,))


@pytest.mark.parametrize("endpoint", ["redeem", "reverse"])
def test_missing_idempotency_key_is_400(pos_a, coupon, body, endpoint):
    if endpoint == "redeem":
        response = pos_a.redeem(body, idempotency_key=False)
    else:
        response = pos_a.reverse_coupon(coupon.code, {"refund_no": "R1"}, idempotency_key=False)

    assert assert_clean_4xx(response)["code"] == "idempotency_key_required"


@pytest.mark.parametrize("name", ["pos:coupon-validate", "pos:coupon-redeem"])
def test_wrong_or_missing_api_key_is_401(name, body):
    from tests.pos.conftest import Till

    for till in (Till("wrong"), Till(None)):
        assert_clean_4xx(till.post(reverse(name), body), (401,))


@pytest.mark.parametrize("name", ["pos:coupon-validate", "pos:coupon-redeem"])
def test_get_is_405(pos_a, name):
    response = pos_a.client.get(reverse(name), HTTP_AUTHORIZATION=f"Api-Key {pos_a.raw_key}")

    assert_clean_4xx(response, (405,))
