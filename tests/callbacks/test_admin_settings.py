"""HQ's lifecycle rules in the admin: one row, opened from the list, never added twice nor
deleted; bad input refused in Chinese; store staff kept out."""

import pytest
from django.urls import reverse

from callbacks.models import LifecycleSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def row():
    return LifecycleSettings.objects.first() or LifecycleSettings.objects.create()


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


def change_url(row):
    return reverse("admin:callbacks_lifecyclesettings_change", args=[row.pk])


def data(row, **overrides):
    fields = {
        "personal_enabled": "on",
        "personal_quiet_days": "30",
        "personal_due_days": "7",
        "personal_script": row.personal_script,
        "automated_interval_days": "30",
        "retention_sms_template": row.retention_sms_template,
        "winback_sms_template": row.winback_sms_template,
    }
    return {**fields, **overrides}


def test_the_list_opens_the_one_row_and_it_cannot_be_added_or_deleted(hq_client, row):
    response = hq_client.get(reverse("admin:callbacks_lifecyclesettings_changelist"))

    assert response.status_code == 302 and response.url == change_url(row)
    assert hq_client.get(change_url(row)).status_code == 200
    assert hq_client.get(reverse("admin:callbacks_lifecyclesettings_add")).status_code == 403
    delete = reverse("admin:callbacks_lifecyclesettings_delete", args=[row.pk])
    assert hq_client.get(delete).status_code == 403


def test_hq_switches_a_rule_on(hq_client, row):
    response = hq_client.post(change_url(row), data(row, personal_quiet_days="45"))

    assert response.status_code == 302
    saved = LifecycleSettings.current()
    assert saved.personal_enabled and not saved.automated_enabled
    assert saved.personal_quiet_days == 45


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"winback_sms_template": "{name}您好，回来看看吧。回复TD退订"}, "品牌签名"),
        ({"retention_sms_template": "【私域优选】{name}您好"}, "回复TD退订"),
        ({"retention_sms_template": "【私域优选】{phone}您好。回复TD退订"}, "{phone}"),
        ({"personal_quiet_days": "0"}, "确保该值大于或等于1。"),
        ({"personal_due_days": "61"}, "确保该值小于或等于60。"),
    ],
)
def test_bad_input_is_refused_in_chinese(hq_client, row, overrides, message):
    response = hq_client.post(change_url(row), data(row, **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LifecycleSettings.current().personal_enabled


def test_store_staff_never_get_in(client, manager_a, row):
    client.force_login(manager_a)

    response = client.get(change_url(row))

    assert response.status_code in (302, 403)
