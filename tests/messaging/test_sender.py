"""The outbox sender: each message through the gateway exactly once, opt-out re-checked at send
time, marketing only in the daytime, failures retried up to three attempts (INV-NO-DUP-MESSAGE)."""

import threading
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from coupons.services.reminders import coupon_reminders_enqueue
from members.transitions import IllegalTransition
from messaging import tasks
from messaging.models import OutboxMessage, OutboxStatus, SkipReason
from messaging.services import outbox_send_due, outbox_transition_check
from tests.coupons.factories import CouponFactory
from tests.members.factories import MemberFactory
from tests.messaging.factories import OutboxMessageFactory, StaffMessageFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def at(hour: int, minute: int = 0) -> datetime:
    """Today at a local time: tests never depend on when they run."""
    return timezone.make_aware(datetime.combine(TODAY, time(hour, minute)))


NOON = at(12)


def status_of(message) -> tuple:
    message.refresh_from_db()
    return message.status, message.attempts


# --- Sending once -------------------------------------------------------------------------------


def test_a_due_message_is_sent_and_marked_sent(sms_http):
    # given
    message = OutboxMessageFactory(member=MemberFactory(phone="13912345678"))
    # when
    outcome = outbox_send_due(now=NOON)
    # then
    assert outcome == {"sent": 1, "skipped": 0, "retry": 0, "failed": 0}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == (OutboxStatus.SENT, 1, NOON)
    assert sms_http.bodies == [
        {
            "message_id": f"siyu-{message.pk}",
            "phone": "13912345678",
            "text": message.body,
            "marketing": True,
        }
    ]


def test_running_the_sender_twice_sends_each_message_once(sms_http):
    # given
    messages = OutboxMessageFactory.create_batch(3)
    # when
    outbox_send_due(now=NOON)
    second = outbox_send_due(now=NOON)
    # then
    assert second == {"sent": 0, "skipped": 0, "retry": 0, "failed": 0}
    assert sms_http.calls_per_message() == {f"siyu-{m.pk}": 1 for m in messages}


def test_a_message_due_later_waits(sms_http):
    message = OutboxMessageFactory(due_date=TODAY + timedelta(days=1))
    outbox_send_due(now=NOON)
    assert status_of(message) == (OutboxStatus.PENDING, 0)
    assert sms_http.requests == []


def test_an_overdue_message_is_still_sent(sms_http):
    message = OutboxMessageFactory(due_date=TODAY - timedelta(days=1))
    outbox_send_due(now=NOON)
    assert status_of(message) == (OutboxStatus.SENT, 1)


def test_the_limit_caps_one_run(sms_http):
    OutboxMessageFactory.create_batch(5)
    assert outbox_send_due(limit=2, now=NOON)["sent"] == 2
    assert OutboxMessage.objects.pending().count() == 3


def test_a_run_stops_taking_messages_when_its_time_is_up(sms_http, settings):
    settings.OUTBOX_SEND_SECONDS = -1
    OutboxMessageFactory()
    assert outbox_send_due(now=NOON)["sent"] == 0
    assert sms_http.requests == []


def test_a_crash_after_some_messages_never_resends_those_already_sent(sms_http):
    # given: the process dies (not an ordinary error) while sending the third message
    messages = OutboxMessageFactory.create_batch(4)
    sms_http.dying_for = {messages[2].member.phone}
    with pytest.raises(SystemExit):
        outbox_send_due(now=NOON)
    sms_http.dying_for = set()
    # when: the next run
    outbox_send_due(now=NOON)
    # then: the two sent before the crash are not sent again; the one in flight is retried
    calls = sms_http.calls_per_message()
    assert calls == {
        f"siyu-{messages[0].pk}": 1,
        f"siyu-{messages[1].pk}": 1,
        f"siyu-{messages[2].pk}": 2,
        f"siyu-{messages[3].pk}": 1,
    }
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


# --- Opt-out, re-checked at send time -----------------------------------------------------------


def test_a_member_who_opts_out_after_enqueue_is_skipped_and_never_sent(sms_http):
    # given
    member = MemberFactory()
    message = OutboxMessageFactory(member=member)
    member.marketing_opt_out = True
    member.save()
    # when
    outcome = outbox_send_due(now=NOON)
    # then
    assert outcome["skipped"] == 1 and sms_http.requests == []
    message.refresh_from_db()
    assert (message.status, message.skip_reason) == (OutboxStatus.SKIPPED, SkipReason.OPTED_OUT)
    assert message.sent_at is None and message.attempts == 0
    # and a later run does not pick it again
    outbox_send_due(now=NOON)
    assert sms_http.requests == []


def test_a_service_message_still_reaches_an_opted_out_member(sms_http):
    message = OutboxMessageFactory(member=MemberFactory(marketing_opt_out=True), marketing=False)
    outbox_send_due(now=NOON)
    assert status_of(message) == (OutboxStatus.SENT, 1)


def test_an_internal_message_to_staff_is_delivered_without_the_sms_provider(sms_http):
    message = StaffMessageFactory()
    outbox_send_due(now=NOON)
    assert status_of(message) == (OutboxStatus.SENT, 1)
    assert sms_http.requests == []


# --- Marketing only in the daytime --------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "sent"),
    [(8, 59, False), (9, 0, True), (20, 59, True), (21, 0, False), (23, 30, False), (2, 0, False)],
)
def test_marketing_messages_go_out_only_in_the_daytime(sms_http, hour, minute, sent):
    marketing = OutboxMessageFactory()
    staff = StaffMessageFactory()
    outbox_send_due(now=at(hour, minute))
    assert status_of(marketing)[0] == (OutboxStatus.SENT if sent else OutboxStatus.PENDING)
    assert status_of(staff)[0] == OutboxStatus.SENT


# --- Failures and retries -----------------------------------------------------------------------


def test_a_failing_gateway_is_retried_by_later_runs_up_to_three_attempts(sms_http):
    # given
    sms_http.status = 500
    message = OutboxMessageFactory()
    # when / then: two failures leave it pending, the third marks it failed
    assert outbox_send_due(now=NOON)["retry"] == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "HTTP 500" in message.last_error
    assert outbox_send_due(now=NOON)["retry"] == 1
    assert status_of(message) == (OutboxStatus.PENDING, 2)
    assert outbox_send_due(now=NOON)["failed"] == 1
    assert status_of(message) == (OutboxStatus.FAILED, 3)
    # and it is never tried again
    outbox_send_due(now=NOON)
    assert len(sms_http.requests) == 3


def test_one_run_tries_a_failing_message_once(sms_http):
    sms_http.status = 503
    OutboxMessageFactory()
    outbox_send_due(now=NOON)
    assert len(sms_http.requests) == 1


def test_a_message_that_failed_once_is_sent_by_the_next_run(sms_http):
    sms_http.status = 500
    message = OutboxMessageFactory()
    outbox_send_due(now=NOON)
    sms_http.status = 200
    outbox_send_due(now=NOON)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 2, "")


def test_an_unexpected_gateway_error_does_not_block_the_queue(sms_http):
    # given
    broken = OutboxMessageFactory()
    fine = OutboxMessageFactory()
    sms_http.broken_for = {broken.member.phone}
    # when
    outcome = outbox_send_due(now=NOON)
    # then
    assert outcome == {"sent": 1, "skipped": 0, "retry": 1, "failed": 0}
    assert status_of(fine) == (OutboxStatus.SENT, 1)
    broken.refresh_from_db()
    assert broken.status == OutboxStatus.PENDING and "provider library bug" in broken.last_error


def test_a_channel_without_gateway_fails_after_three_attempts_instead_of_vanishing(sms_http):
    message = StaffMessageFactory(channel="wecom")
    for _ in range(3):
        outbox_send_due(now=NOON)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)
    assert "企业微信" in message.last_error


def test_a_misconfigured_gateway_fails_the_run_without_using_up_attempts(settings):
    settings.SMS_GATEWAY = "messaging.gateways.NoSuchGateway"
    message = OutboxMessageFactory()
    with pytest.raises(ImportError):
        outbox_send_due(now=NOON)
    assert status_of(message) == (OutboxStatus.PENDING, 0)


def test_the_transition_table_is_the_only_way():
    assert outbox_transition_check(OutboxStatus.PENDING, OutboxStatus.SENT) is True
    assert outbox_transition_check(OutboxStatus.SENT, OutboxStatus.SENT) is False
    for final in (OutboxStatus.SENT, OutboxStatus.SKIPPED, OutboxStatus.FAILED):
        with pytest.raises(IllegalTransition, match="消息状态不能从"):
            outbox_transition_check(final, OutboxStatus.PENDING)


# --- The periodic task --------------------------------------------------------------------------


def test_the_periodic_task_sends_the_due_messages(sms_http):
    message = StaffMessageFactory()  # not marketing: sent whatever the hour the test runs at
    outcome = tasks.outbox_send.delay().get()
    assert outcome["sent"] == 1
    assert status_of(message) == (OutboxStatus.SENT, 1)


# --- Racing senders (Postgres, real threads) ----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_senders_call_the_gateway_exactly_once_per_message(sms_http):
    # given: a slow provider, so both senders are inside their loops at the same time
    messages = OutboxMessageFactory.create_batch(12)
    sms_http.delay = 0.02
    barrier, errors, outcomes = threading.Barrier(4), [], []

    def sender():
        try:
            barrier.wait(timeout=10)
            outcomes.append(outbox_send_due(now=NOON))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then
    assert errors == []
    assert sms_http.calls_per_message() == {f"siyu-{m.pk}": 1 for m in messages}
    assert sum(outcome["sent"] for outcome in outcomes) == len(messages)
    assert sum(1 for outcome in outcomes if outcome["sent"]) > 1  # the work was shared
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


# --- From the morning reminders to the member's phone -------------------------------------------


def test_reminders_reach_each_member_once_and_an_opt_out_before_sending_is_honoured(sms_http):
    # given: two members with coupons ending in two days
    staying, leaving = MemberFactory(phone="13900000001"), MemberFactory(phone="13900000002")
    for member in (staying, staying, leaving):
        CouponFactory(member=member, valid_from=TODAY, valid_until=TODAY + timedelta(days=2))
    coupon_reminders_enqueue(on=TODAY)
    # when: one opts out before the sender runs; the job and the sender both run twice
    leaving.marketing_opt_out = True
    leaving.save()
    coupon_reminders_enqueue(on=TODAY)
    outbox_send_due(now=NOON)
    outbox_send_due(now=NOON)
    # then
    assert [(body["phone"], "2张优惠券" in body["text"]) for body in sms_http.bodies] == [
        ("13900000001", True)
    ]
    skipped = OutboxMessage.objects.get(member=leaving)
    assert (skipped.status, skipped.skip_reason) == (OutboxStatus.SKIPPED, SkipReason.OPTED_OUT)
