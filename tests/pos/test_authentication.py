"""A POS call is made by a store through an active API key, and by nothing else."""

import pytest
from django.urls import reverse

from members.models import Order
from pos.models import PosApiKey, hash_secret
from tests.pos.conftest import Till

pytestmark = pytest.mark.django_db


def test_call_without_key_is_401_in_chinese(order_body):
    response = Till(None).create_order(order_body())
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "Api-Key" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Api-Key"


def test_unknown_key_is_401(key_a, order_body):
    response = Till("not-a-real-key").create_order(order_body())
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert "密钥" in response.json()["detail"]


def test_inactive_key_is_401(key_a, pos_a, order_body):
    PosApiKey.objects.filter(pk=key_a[0].pk).update(active=False)
    assert pos_a.create_order(order_body()).status_code == 401
    assert not Order.objects.exists()


def test_key_of_a_closed_store_is_401(store_a, pos_a, order_body):
    store_a.active = False
    store_a.save()
    assert pos_a.create_order(order_body()).status_code == 401


def test_other_authorization_schemes_are_401(key_a, order_body):
    response = Till(None).create_order(order_body(), HTTP_AUTHORIZATION="Bearer " + key_a[1])
    assert response.status_code == 401


def test_staff_session_is_not_accepted(client, hq_admin, manager_a, order_body):
    # given a signed-in store manager (and then HQ) with no API key
    for user in (manager_a, hq_admin):
        client.force_login(user)
        # when they post an order
        response = Till(None, client).create_order(order_body())
        # then the session does not count
        assert response.status_code == 401
    assert not Order.objects.exists()


def test_key_is_stored_only_as_hash_and_prefix(store_a):
    api_key, raw_key = PosApiKey.objects.issue(store=store_a, name="收银台2")
    api_key.refresh_from_db()
    assert api_key.prefix == raw_key[:8]
    assert api_key.hashed_secret == hash_secret(raw_key)
    assert raw_key not in str(PosApiKey.objects.filter(pk=api_key.pk).values().get())


def test_successful_call_records_last_use(key_a, pos_a, order_body):
    assert key_a[0].last_used_at is None
    pos_a.create_order(order_body())
    key_a[0].refresh_from_db()
    assert key_a[0].last_used_at is not None


def test_pos_principal_sees_no_store_data(key_a, member_a):
    from members.models import Member
    from pos.authentication import PosClient

    # The principal is the store's till, not a staff user: visible_to gives it nothing.
    assert not Member.objects.visible_to(PosClient(key_a[0])).exists()


def test_get_is_not_allowed(pos_a):
    response = pos_a.client.get(
        reverse("pos:order-create"), HTTP_AUTHORIZATION=f"Api-Key {pos_a.raw_key}"
    )
    assert response.status_code == 405
