"""INV-POS-RETRY: a retried POS call (same idempotency key) never has a second effect and gets
the same answer; the same key with another payload is refused."""

import json

import pytest

from members.models import Order, Refund
from pos.idempotency import canonical_body
from pos.models import IdempotentRequest

pytestmark = pytest.mark.django_db


def test_retry_replays_status_and_body_exactly_and_creates_nothing(pos_a, order_body):
    # given a first call that created an order
    first = pos_a.create_order(order_body(), idempotency_key="till1-0001")
    assert first.status_code == 201
    # when the till retries with the same key and payload
    again = pos_a.create_order(order_body(), idempotency_key="till1-0001")
    # then it gets the first answer byte for byte, and nothing new exists
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1


def test_retry_with_reformatted_json_is_the_same_payload(pos_a, order_body):
    body = order_body()
    first = pos_a.create_order(body, idempotency_key="k1")
    reordered = json.dumps(dict(reversed(body.items())), indent=2).encode()
    again = pos_a.create_order(None, raw=reordered, idempotency_key="k1")
    assert again.status_code == 201
    assert again.content == first.content


def test_same_key_with_another_payload_is_422(pos_a, order_body):
    pos_a.create_order(order_body(), idempotency_key="k1")
    response = pos_a.create_order(order_body(amount="303.00"), idempotency_key="k1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert "幂等键" in response.json()["detail"]
    assert Order.objects.get().amount == 302


def test_same_key_on_another_endpoint_is_422(pos_a, order_body):
    pos_a.create_order(order_body(), idempotency_key="k1")
    body = {"refund_no": "R1", "amount": "1.00", "refunded_at": "2024-10-16T10:00:00+08:00"}
    response = pos_a.refund("POS-0001", body, idempotency_key="k1")
    assert response.status_code == 422
    assert not Refund.objects.exists()


def test_validation_error_is_stored_and_replayed(pos_a, order_body):
    # given a first call refused for bad data
    first = pos_a.create_order(order_body(amount="-1"), idempotency_key="k1")
    assert first.status_code == 400
    # when it is retried with the same key and payload
    again = pos_a.create_order(order_body(amount="-1"), idempotency_key="k1")
    # then the same error comes back from the record
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert IdempotentRequest.objects.get().response_status == 400


def test_rule_violation_is_replayed_even_after_the_cause_is_gone(pos_a, order_body, member_a):
    # given a sale refused because the phone was not a member yet
    first = pos_a.create_order(order_body(phone="13700001234"), idempotency_key="k1")
    assert first.status_code == 400
    # when the member now exists and the till retries with the same key
    member_a.phone = "13700001234"
    member_a.save()
    again = pos_a.create_order(order_body(phone="13700001234"), idempotency_key="k1")
    # then the answer is still the first one; a new attempt needs a new key
    assert (again.status_code, again.content) == (400, first.content)
    assert not Order.objects.exists()
    assert pos_a.create_order(order_body(phone="13700001234")).status_code == 201


def test_bad_json_is_stored_and_replayed(pos_a):
    first = pos_a.create_order(None, raw=b'{"order_no": ', idempotency_key="k1")
    again = pos_a.create_order(None, raw=b'{"order_no": ', idempotency_key="k1")
    assert first.status_code == again.status_code == 400
    assert again.content == first.content


def test_error_leaves_no_partial_effect(pos_a, order_body):
    # the second line's SKU is unknown: neither the order nor the first line may remain
    lines = [
        {"sku": "CLEANSER-01", "quantity": 1, "amount": "128.00"},
        {"sku": "GONE", "quantity": 1, "amount": "174.00"},
    ]
    assert pos_a.create_order(order_body(lines=lines), idempotency_key="k1").status_code == 400
    assert not Order.objects.exists()


def test_refund_retry_refunds_once(pos_a, order_body):
    pos_a.create_order(order_body())
    body = {"refund_no": "R1", "amount": "100.00", "refunded_at": "2024-10-16T10:00:00+08:00"}
    first = pos_a.refund("POS-0001", body, idempotency_key="r1")
    again = pos_a.refund("POS-0001", body, idempotency_key="r1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert Order.objects.get().refunded_amount == 100
    assert Refund.objects.count() == 1


def test_same_key_in_another_store_is_independent(pos_a, pos_b, order_body):
    a = pos_a.create_order(order_body(), idempotency_key="shared-key")
    b = pos_b.create_order(order_body(), idempotency_key="shared-key")
    assert a.status_code == b.status_code == 201
    assert a.json()["store_code"] == "A001"
    assert b.json()["store_code"] == "B001"
    assert Order.objects.count() == 2
    assert IdempotentRequest.objects.filter(key="shared-key").count() == 2


def test_missing_idempotency_key_is_400_and_does_nothing(pos_a, order_body):
    response = pos_a.create_order(order_body(), idempotency_key=False)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "键"])
def test_unusable_idempotency_key_is_400(pos_a, order_body, key):
    response = pos_a.create_order(order_body(), HTTP_IDEMPOTENCY_KEY=key, idempotency_key=False)
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_auth_failure_is_not_recorded(key_a, order_body):
    from tests.pos.conftest import Till

    Till("wrong").create_order(order_body(), idempotency_key="k1")
    assert not IdempotentRequest.objects.exists()


def test_canonical_body_ignores_key_order_and_spacing():
    assert canonical_body(b'{"b": 1, "a": [1, 2]}') == canonical_body(b'{"a":[1,2],"b":1}')
    assert canonical_body(b"{not json") == b"{not json"


def test_replay_costs_a_handful_of_queries(pos_a, order_body, django_assert_max_num_queries):
    pos_a.create_order(order_body(), idempotency_key="k1")
    # key lookup, last-used stamp, (advisory lock), record lookup, transaction bookkeeping
    with django_assert_max_num_queries(6):
        assert pos_a.create_order(order_body(), idempotency_key="k1").status_code == 201


def test_a_business_constraint_failing_in_the_handler_is_not_taken_for_a_call_in_flight(store_a):
    # given: a handler whose own write breaks a database constraint (a bug, not a retry)
    from django.db import IntegrityError

    from pos.idempotency import IdempotentRequestInFlight, respond_once

    def answer():
        raise IntegrityError("unique_order_no_per_store")

    # when / then: the error surfaces as itself (a 500 a retry reruns), not as a 409 "in flight"
    with pytest.raises(IntegrityError):
        try:
            respond_once(store=store_a, key="K-BUG", fingerprint="f", answer=answer)
        except IdempotentRequestInFlight:
            pytest.fail("a handler's IntegrityError was answered as 409 in flight")
    assert not IdempotentRequest.objects.filter(key="K-BUG").exists()
