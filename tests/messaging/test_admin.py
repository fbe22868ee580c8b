"""The HQ outbox list: read-only, filtered by status, kind and channel, phones masked."""

import pytest
from django.urls import reverse

from messaging.models import OutboxStatus
from tests.members.factories import MemberFactory
from tests.messaging.factories import OutboxMessageFactory, StaffMessageFactory

pytestmark = pytest.mark.django_db

LIST = "admin:messaging_outboxmessage_changelist"


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


def test_hq_sees_the_outbox_with_masked_phones(hq_client, store_a):
    # given
    member = MemberFactory(home_store=store_a, name="张敏", phone="13812345678")
    OutboxMessageFactory(member=member)
    StaffMessageFactory()
    # when
    body = hq_client.get(reverse(LIST)).content.decode()
    # then
    assert "张敏 138****5678" in body
    assert "13812345678" not in body


def test_the_list_filters_by_status_kind_and_channel(hq_client):
    sent = OutboxMessageFactory(
        status=OutboxStatus.SENT, sent_at="2026-06-30T10:00:00+08:00", body="【私域优选】已发出"
    )
    OutboxMessageFactory(body="【私域优选】待发送")
    # sent too, but another kind and channel: only those two filters can leave it out
    when = "2026-06-30T11:00:00+08:00"
    StaffMessageFactory(status=OutboxStatus.SENT, sent_at=when, kind="callback_overdue")
    OutboxMessageFactory(status=OutboxStatus.SENT, sent_at=when, channel="wecom")
    response = hq_client.get(
        reverse(LIST),
        {"status__exact": "sent", "kind__exact": "coupon_expiry", "channel__exact": "sms"},
    )
    ids = [message.pk for message in response.context["cl"].result_list]
    assert ids == [sent.pk]


def test_the_detail_page_is_read_only(hq_client):
    message = OutboxMessageFactory()
    url = reverse("admin:messaging_outboxmessage_change", args=[message.pk])
    assert hq_client.get(url).status_code == 200
    response = hq_client.post(url, {"body": "改过的内容", "status": "sent"})
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.body != "改过的内容"
    assert hq_client.get(reverse("admin:messaging_outboxmessage_add")).status_code == 403


def test_the_list_queries_do_not_grow_with_its_rows(hq_client, django_assert_max_num_queries):
    OutboxMessageFactory.create_batch(2)
    StaffMessageFactory()
    with django_assert_max_num_queries(12) as few:
        hq_client.get(reverse(LIST))
    OutboxMessageFactory.create_batch(20)
    StaffMessageFactory.create_batch(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        hq_client.get(reverse(LIST))


def test_a_store_manager_never_gets_in(client, manager_a):
    manager_a.is_staff = True
    manager_a.save()
    client.force_login(manager_a)
    assert client.get(reverse(LIST)).status_code == 403
