"""INV-POS-RETRY under real concurrency (Postgres): tills retrying at the same instant.

Each test starts 12 threads behind a barrier; each thread has its own database connection and
closes it at the end.
"""

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.response import Response

from members.errors import RuleViolation
from members.models import Order
from members.services import LineInput
from pos.idempotency import IdempotentRequestInFlight, respond_once
from pos.models import IdempotentRequest
from pos.services import pos_order_create
from tests.pos.conftest import Till
from tests.threads import run_together as run_threads

THREADS = 12
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(work, count=THREADS):
    return run_threads(work, count)


def sale(store, order_no="POS-RACE"):
    return {
        "store": store,
        "order_no": order_no,
        "phone": None,
        "guide_code": None,
        "channel": "store",
        "paid_at": "2024-10-15T14:30:00+08:00",
        "amount": Decimal("302.00"),
        "lines": [LineInput(sku="CLEANSER-01", quantity=1, amount=Decimal("128.00"))],
    }


def test_same_key_and_payload_over_http_creates_one_order(key_a, order_body):
    # given twelve tills (one per thread) retrying one sale with one idempotency key
    body = order_body()

    def post(_i):
        return Till(key_a[1], Client()).create_order(body, idempotency_key="same-key")

    # when they all post at once
    responses = run_together(post)
    # then exactly one order exists, and every answer is the first one (201) or "in flight" (409)
    statuses = [getattr(r, "status_code", r) for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1
    assert Order.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1
    assert len({r.content for r in responses if r.status_code == 201}) == 1
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
        "idempotency_in_flight"
    }
    # and a retry after the storm replays the same answer
    later = Till(key_a[1]).create_order(body, idempotency_key="same-key")
    assert later.status_code == 201
    assert later.content == next(r.content for r in responses if r.status_code == 201)


def test_same_key_through_the_service_layer_runs_the_business_call_once(store_a, cleanser):
    # given a business call that counts how often it runs
    runs = []

    def answer():
        runs.append(1)
        order = pos_order_create(**sale(store_a))
        return Response({"id": order.pk}, status=201)

    def call(_i):
        return respond_once(store=store_a, key="svc-key", fingerprint="f" * 64, answer=answer)

    # when twelve threads call it with the same key at once
    results = run_together(call)
    # then it ran once; the others replayed or were told the first is in flight
    assert len(runs) == 1
    assert Order.objects.count() == 1
    for result in results:
        assert isinstance(result, (Response, IdempotentRequestInFlight)), result
        if isinstance(result, Response):
            assert (result.status_code, result.data) == (201, {"id": Order.objects.get().pk})


def test_one_order_no_with_different_keys_through_the_service_is_one_order(store_a, cleanser):
    # given twelve calls of the order service for one order number (no idempotency in the way)
    results = run_together(lambda _i: pos_order_create(**sale(store_a)))
    # then one order was made and every other call is a clean order_exists, never an IntegrityError
    assert Order.objects.count() == 1
    created = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, RuleViolation)]
    assert len(created) == 1
    assert len(refused) == THREADS - 1, results
    assert {(r.code, r.status_code) for r in refused} == {("order_exists", 409)}


def test_one_order_no_with_different_keys_over_http_is_one_201_and_409s(key_a, order_body):
    body = order_body(order_no="POS-RACE")

    def post(i):
        return Till(key_a[1], Client()).create_order(body, idempotency_key=f"key-{i}")

    responses = run_together(post)
    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses == [201] + [409] * (THREADS - 1), statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"order_exists"}
    assert Order.objects.count() == 1
    # every key got its own recorded answer, so each till's retry replays what it was told
    assert IdempotentRequest.objects.count() == THREADS


def test_concurrent_refunds_never_exceed_the_order(key_a, order_body):
    till = Till(key_a[1])
    assert till.create_order(order_body()).status_code == 201

    def refund(i):
        body = {
            "refund_no": f"R{i}",
            "amount": "100.00",
            "refunded_at": "2024-10-16T10:00:00+08:00",
        }
        return Till(key_a[1], Client()).refund("POS-0001", body, idempotency_key=f"r-{i}")

    responses = run_together(refund)
    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses == [201] * 3 + [400] * (THREADS - 3), statuses
    assert Order.objects.get().refunded_amount == Decimal("300.00")
