"""The outbox's own guarantees: one message per recipient, kind and day whatever inserts it, one
recipient each, and who sees which messages (members.scope)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.models import MessageKind, OutboxMessage, OutboxStatus
from tests.members.factories import GuideFactory, MemberFactory, RegionManagerFactory
from tests.messaging.factories import OutboxMessageFactory, StaffMessageFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def test_a_second_message_of_a_kind_to_a_member_on_a_day_is_refused(member_a):
    OutboxMessageFactory(member=member_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessageFactory(member=member_a)


def test_a_re_enqueue_with_ignore_conflicts_keeps_the_first_message(member_a):
    # given
    first = OutboxMessageFactory(member=member_a, body="【私域优选】第一条。回复TD退订")
    # when
    again = OutboxMessage(
        member=member_a,
        kind=MessageKind.COUPON_EXPIRY,
        due_date=TODAY,
        channel="sms",
        body="【私域优选】第二条。回复TD退订",
    )
    OutboxMessage.objects.bulk_create([again], ignore_conflicts=True)
    # then
    assert list(OutboxMessage.objects.values_list("pk", "body")) == [(first.pk, first.body)]


def test_the_same_kind_on_another_day_is_another_message(member_a):
    OutboxMessageFactory(member=member_a)
    OutboxMessageFactory(member=member_a, due_date=TODAY + timedelta(days=1))
    assert OutboxMessage.objects.filter(member=member_a).count() == 2


def test_staff_messages_are_unique_per_staff_kind_and_day(guide_a):
    StaffMessageFactory(staff=guide_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffMessageFactory(staff=guide_a)


@pytest.mark.parametrize("recipients", ["none", "both"])
def test_a_message_has_exactly_one_recipient(member_a, guide_a, recipients):
    member, staff = (None, None) if recipients == "none" else (member_a, guide_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessageFactory(member=member, staff=staff)


def test_a_sent_message_has_its_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessageFactory(status=OutboxStatus.SENT, sent_at=None)


def test_a_skipped_message_has_its_reason():
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessageFactory(status=OutboxStatus.SKIPPED, skip_reason="")


# --- visible_to ---------------------------------------------------------------------------------


@pytest.fixture
def messages(member_a, member_b, store_a, guide_a, manager_a, guide_b):
    other_guides_member = MemberFactory(home_store=store_a, guide=GuideFactory(store=store_a))
    return {
        "a": OutboxMessageFactory(member=member_a),  # bound to guide_a
        "a_other_guide": OutboxMessageFactory(member=other_guides_member),
        "b": OutboxMessageFactory(member=member_b),
        "to_guide_a": StaffMessageFactory(staff=guide_a),
        "to_manager_a": StaffMessageFactory(staff=manager_a),
        "to_guide_b": StaffMessageFactory(staff=guide_b),
    }


def visible(user, messages) -> set[str]:
    seen = set(OutboxMessage.objects.visible_to(user).values_list("pk", flat=True))
    return {name for name, message in messages.items() if message.pk in seen}


def test_hq_sees_every_message(hq_admin, messages):
    assert visible(hq_admin, messages) == set(messages)


def test_a_store_manager_sees_their_stores_members_messages_and_their_own(manager_a, messages):
    assert visible(manager_a, messages) == {"a", "a_other_guide", "to_manager_a"}


def test_a_guide_sees_their_own_members_messages_and_their_own(guide_a, messages):
    assert visible(guide_a, messages) == {"a", "to_guide_a"}


def test_a_region_manager_sees_their_regions_members_messages(region, messages):
    manager = RegionManagerFactory(region=region)
    assert visible(manager, messages) == {"a", "a_other_guide"}


def test_nobody_else_sees_anything(messages, django_user_model):
    assert visible(AnonymousUser(), messages) == set()
    assert visible(None, messages) == set()
    assert visible(django_user_model.objects.create(username="无岗位"), messages) == set()
