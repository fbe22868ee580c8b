"""INV-NO-500 on the POS endpoints: every malformed body is a 4xx in the project's error shape."""

import pytest

from members.models import Order

pytestmark = pytest.mark.django_db


def assert_clean_4xx(response, status=400):
    assert response.status_code == status, response.content
    body = response.json()
    assert {"code", "detail"} <= body.keys()
    return body


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"not json",
        b"\xff\xfe\x00",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"order_no": "\\ud800"}',
        b"1" * 5000,
    ],
    ids=["empty", "truncated", "text", "binary", "deeply-nested", "lone-surrogate", "huge-int"],
)
def test_unparseable_body_is_400(pos_a, raw):
    assert_clean_4xx(pos_a.create_order(None, raw=raw))


@pytest.mark.parametrize("body", [[], 42, "text", None], ids=["list", "number", "string", "null"])
def test_body_that_is_not_an_object_is_400(pos_a, body):
    assert_clean_4xx(pos_a.create_order(body))


def test_missing_fields_are_listed_in_errors(pos_a):
    body = assert_clean_4xx(pos_a.create_order({}))
    assert body["code"] == "invalid"
    assert {"order_no", "paid_at", "amount"} <= body["errors"].keys()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"amount": "1e400"}, "amount"),
        ({"amount": 1e308}, "amount"),
        ({"amount": 10**40}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": ["1"]}, "amount"),
        ({"order_no": {"a": 1}}, "order_no"),
        ({"order_no": "x" * 65}, "order_no"),
        ({"order_no": "A\x00B"}, "order_no"),
        ({"order_no": "   "}, "order_no"),
        ({"phone": 1.38e10}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"channel": "tv"}, "channel"),
        ({"paid_at": "yesterday"}, "paid_at"),
        ({"paid_at": "2024-13-45T00:00:00"}, "paid_at"),
        ({"paid_at": 1700000000}, "paid_at"),
        ({"paid_at": "0001-01-01T00:00:00+14:00"}, "paid_at"),
        ({"lines": "CLEANSER-01"}, "lines"),
        ({"lines": [{"sku": "CLEANSER-01", "quantity": 10**20, "amount": "1.00"}]}, "lines"),
        ({"lines": [{"sku": "CLEANSER-01", "quantity": 0, "amount": "1.00"}]}, "lines"),
        ({"lines": [{"sku": "CLEANSER-01", "quantity": "many", "amount": "1.00"}]}, "lines"),
        ({"lines": [{"sku": "CLEANSER-01"}]}, "lines"),
        ({"lines": [None]}, "lines"),
        (
            {
                "lines": [
                    {"sku": "CLEANSER-01", "quantity": 1, "amount": "1.00"},
                    {"sku": "CLEANSER-01", "quantity": 1, "amount": "1.00"},
                ]
            },
            "lines",
        ),
        ({"lines": [{"sku": "CLEANSER-01", "quantity": 1, "amount": "1.00"}] * 501}, "lines"),
    ],
)
def test_malformed_order_field_is_400_naming_the_field(pos_a, order_body, overrides, field):
    body = assert_clean_4xx(pos_a.create_order(order_body(**overrides)))
    assert field in body["errors"], body
    assert not Order.objects.exists()


def test_error_messages_are_chinese(pos_a, order_body):
    body = assert_clean_4xx(pos_a.create_order(order_body(amount="abc")))
    assert body["detail"] == "提交的数据有误。"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["errors"]["amount"][0])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"refund_no": "R1", "amount": "1e400", "refunded_at": "2024-10-16T10:00:00+08:00"},
        {"refund_no": "R1", "amount": "0", "refunded_at": "2024-10-16T10:00:00+08:00"},
        {"refund_no": ["R1"], "amount": "1.00", "refunded_at": "2024-10-16T10:00:00+08:00"},
        {"refund_no": "R1", "amount": "1.00", "refunded_at": "soon"},
    ],
)
def test_malformed_refund_is_400(pos_a, order_body, body):
    pos_a.create_order(order_body())
    assert_clean_4xx(pos_a.refund("POS-0001", body))


def test_form_encoded_body_is_415(pos_a):
    response = pos_a.client.post(
        "/api/pos/orders/",
        data={"order_no": "1"},
        HTTP_AUTHORIZATION=f"Api-Key {pos_a.raw_key}",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert_clean_4xx(response, status=415)


def test_very_long_order_no_in_url_is_404(pos_a):
    body = {"refund_no": "R1", "amount": "1.00", "refunded_at": "2024-10-16T10:00:00+08:00"}
    assert_clean_4xx(pos_a.refund("N" * 5000, body), status=404)


def test_non_ascii_authorization_header_is_401(order_body):
    from tests.pos.conftest import Till

    assert_clean_4xx(Till("密钥").create_order(order_body()), status=401)
