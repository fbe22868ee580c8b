"""The POS endpoints are documented with the Api-Key scheme and the Idempotency-Key header."""

import pytest
import yaml
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client, hq_admin):
    client.force_login(hq_admin)
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.mark.parametrize("path", ["/api/pos/orders/", "/api/pos/orders/{order_no}/refunds/"])
def test_pos_endpoints_use_api_key_and_idempotency_key(schema, path):
    operation = schema["paths"][path]["post"]
    assert operation["security"] == [{"PosApiKey": []}]
    header = next(p for p in operation["parameters"] if p["in"] == "header")
    assert (header["name"], header["required"]) == ("Idempotency-Key", True)
    assert {"201", "400", "401", "409", "422"} <= operation["responses"].keys()


def test_api_key_scheme_is_declared(schema):
    scheme = schema["components"]["securitySchemes"]["PosApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
