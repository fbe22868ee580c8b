"""Issuing and deactivating POS keys: the HQ admin page and the management command."""

import re
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from members.audit import LogEntry
from pos.models import PosApiKey, hash_secret

pytestmark = pytest.mark.django_db


def test_command_issues_a_key_and_prints_it_once(store_a):
    out = StringIO()
    call_command("pos_issue_key", "A001", "--name", "收银台3", stdout=out)
    raw_key = out.getvalue().strip().splitlines()[-1]
    api_key = PosApiKey.objects.get()
    assert (api_key.store, api_key.name, api_key.active) == (store_a, "收银台3", True)
    assert api_key.hashed_secret == hash_secret(raw_key)
    assert PosApiKey.objects.for_raw_key(raw_key) == api_key


def test_command_refuses_unknown_store(db):
    with pytest.raises(CommandError, match="不存在"):
        call_command("pos_issue_key", "NOPE", stdout=StringIO())


def test_hq_issues_a_key_in_the_admin_and_sees_it_once(client, hq_admin, store_a):
    client.force_login(hq_admin)
    response = client.post(
        reverse("admin:pos_posapikey_add"), {"store": store_a.pk, "name": "收银台9"}, follow=True
    )
    assert response.status_code == 200
    api_key = PosApiKey.objects.get()
    messages = [str(m) for m in get_messages(response.wsgi_request)] or [
        str(m) for m in response.context["messages"]
    ]
    raw_key = re.search(r"：(\S+)$", next(m for m in messages if api_key.prefix in m)).group(1)
    assert api_key.hashed_secret == hash_secret(raw_key)
    # the list shows the prefix, never the key
    listing = client.get(reverse("admin:pos_posapikey_changelist")).content.decode()
    assert api_key.prefix in listing
    assert raw_key not in listing


def test_hq_deactivates_keys_with_the_action(client, hq_admin, key_a):
    client.force_login(hq_admin)
    client.post(
        reverse("admin:pos_posapikey_changelist"),
        {"action": "deactivate", "_selected_action": [key_a[0].pk]},
    )
    key_a[0].refresh_from_db()
    assert not key_a[0].active
    assert PosApiKey.objects.for_raw_key(key_a[1]) is None


@pytest.mark.parametrize(
    "url", ["admin:pos_posapikey_changelist", "admin:pos_idempotentrequest_changelist"]
)
def test_store_staff_cannot_see_pos_admin(client, manager_a, key_a, url):
    manager_a.is_staff = True
    manager_a.save()
    client.force_login(manager_a)
    assert client.get(reverse(url)).status_code == 403
    assert client.get(reverse("admin:pos_posapikey_change", args=[key_a[0].pk])).status_code in (
        302,
        403,
        404,
    )


def test_store_staff_sees_no_keys_even_through_the_queryset(manager_a, key_a):
    assert not PosApiKey.objects.visible_to(manager_a).exists()


def test_hq_sees_idempotent_requests_read_only(client, hq_admin, pos_a, order_body):
    pos_a.create_order(order_body(), idempotency_key="till-77")
    client.force_login(hq_admin)
    response = client.get(reverse("admin:pos_idempotentrequest_changelist"))
    assert response.status_code == 200
    assert "till-77" in response.content.decode()


def _key_audit_rows(api_key, event):
    return LogEntry.objects.get_for_object(api_key).filter(additional_data__event=event)


def test_issuing_a_key_in_the_admin_writes_an_audit_row_without_the_key(client, hq_admin, store_a):
    client.force_login(hq_admin)

    response = client.post(
        reverse("admin:pos_posapikey_add"), {"store": store_a.pk, "name": "收银台9"}, follow=True
    )

    api_key = PosApiKey.objects.get()
    entry = _key_audit_rows(api_key, "pos_key_issued").get()
    assert entry.actor == hq_admin
    assert entry.additional_data["store"] == "A001"
    assert entry.additional_data["prefix"] == api_key.prefix
    shown = next(str(m) for m in response.context["messages"] if api_key.prefix in str(m))
    raw_key = re.search(r"：(\S+)$", shown).group(1)
    assert raw_key not in str(entry.additional_data) + str(entry.changes)


def test_issuing_a_key_with_the_command_is_audited_with_the_user_given(store_a, hq_admin):
    call_command("pos_issue_key", "A001", "--user", hq_admin.username, stdout=StringIO())

    entry = _key_audit_rows(PosApiKey.objects.get(), "pos_key_issued").get()
    assert entry.actor == hq_admin


def test_issuing_a_key_with_the_command_and_no_user_is_audited_too(store_a):
    call_command("pos_issue_key", "A001", stdout=StringIO())

    assert _key_audit_rows(PosApiKey.objects.get(), "pos_key_issued").get().actor is None


def test_deactivating_keys_is_audited_once_per_key_that_was_active(client, hq_admin, key_a):
    client.force_login(hq_admin)
    select = {"action": "deactivate", "_selected_action": [key_a[0].pk]}

    client.post(reverse("admin:pos_posapikey_changelist"), select)
    client.post(reverse("admin:pos_posapikey_changelist"), select)

    entry = _key_audit_rows(key_a[0], "pos_key_deactivated").get()
    assert (entry.actor, entry.changes_dict) == (hq_admin, {"active": ["True", "False"]})
