"""POS fixtures: a key per store and a client that speaks the POS protocol."""

import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from pos.models import PosApiKey
from tests.members.factories import ProductFactory


class Till:
    """A till: posts JSON with its API key and an idempotency key (a fresh one unless given)."""

    def __init__(self, raw_key: str | None, client: Client | None = None):
        self.raw_key = raw_key
        self.client = client or Client()

    def post(self, url, body, *, idempotency_key=None, raw: bytes | None = None, **headers):
        if self.raw_key is not None:
            headers.setdefault("HTTP_AUTHORIZATION", f"Api-Key {self.raw_key}")
        if idempotency_key is not False:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key or uuid.uuid4().hex
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False)
        return self.client.post(url, data=data, content_type="application/json", **headers)

    def create_order(self, body, **kwargs):
        return self.post(reverse("pos:order-create"), body, **kwargs)

    def refund(self, order_no, body, **kwargs):
        return self.post(reverse("pos:refund-create", args=[order_no]), body, **kwargs)

    def validate_coupon(self, body, **kwargs):
        return self.post(reverse("pos:coupon-validate"), body, idempotency_key=False, **kwargs)

    def redeem(self, body, **kwargs):
        return self.post(reverse("pos:coupon-redeem"), body, **kwargs)

    def reverse_coupon(self, code, body, **kwargs):
        return self.post(reverse("pos:coupon-reverse", args=[code]), body, **kwargs)


@pytest.fixture
def key_a(store_a):
    return PosApiKey.objects.issue(store=store_a, name="收银台1")


@pytest.fixture
def key_b(store_b):
    return PosApiKey.objects.issue(store=store_b, name="收银台1")


@pytest.fixture
def pos_a(key_a):
    return Till(key_a[1])


@pytest.fixture
def pos_b(key_b):
    return Till(key_b[1])


@pytest.fixture
def cleanser(db):
    return ProductFactory(sku="CLEANSER-01", name="洁面乳", list_price=Decimal("128.00"))


@pytest.fixture
def eye_cream(db):
    return ProductFactory(sku="EYE-01", name="眼霜", list_price=Decimal("174.00"))


@pytest.fixture
def order_body(cleanser, eye_cream):
    def make(**overrides):
        body = {
            "order_no": "POS-0001",
            "paid_at": "2024-10-15T14:30:00+08:00",
            "amount": "302.00",
            "lines": [
                {"sku": "CLEANSER-01", "quantity": 1, "amount": "128.00"},
                {"sku": "EYE-01", "quantity": 1, "amount": "174.00"},
            ],
        }
        body.update(overrides)
        return body

    return make
