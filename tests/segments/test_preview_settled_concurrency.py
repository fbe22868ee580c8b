"""A member moved while a regroup's finish settles the store log, with real threads on Postgres:
a move the finish cannot see yet stays logged, so HQ's preview reads that member from
members_member, in their new store."""

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction

from members.models import Member, MemberRfm, MemberStoreChange
from members.rfm import rfm_regroup
from members.rfm.next_table import store_changes_settle
from members.segments.selectors import segment_preview
from tests.members.factories import MemberFactory
from tests.members.rfm_helpers import AS_OF, buy, local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EVERY_MEMBER = {"op": "and", "items": []}


def test_a_move_committed_after_the_finish_looked_stays_logged(store_a, store_b, hq_admin):
    # given: a regroup has settled the log; the member's row names store A
    member = MemberFactory(home_store=store_a)
    buy(member, local(AS_OF - timedelta(days=3), 9))
    rfm_regroup(business_date=AS_OF)
    assert not MemberStoreChange.objects.exists()
    moved, settled = threading.Event(), threading.Event()

    def move_and_hold():
        try:
            with transaction.atomic():
                Member.objects.filter(pk=member.pk).update(home_store=store_b)
                moved.set()
                assert settled.wait(10)  # commits only after the finish has looked
        finally:
            connections.close_all()

    mover = threading.Thread(target=move_and_hold)
    mover.start()
    # when: a finish settles the log while the move is not yet committed
    assert moved.wait(10)
    store_changes_settle()
    settled.set()
    mover.join(20)
    # then: the row still names store A, the move stays logged, HQ sees the member in store B
    assert MemberRfm.objects.get(pk=member.pk).home_store_id == store_a.pk
    assert list(MemberStoreChange.objects.values_list("member_id", flat=True)) == [member.pk]
    preview = segment_preview(rule=EVERY_MEMBER, user=hq_admin, today=AS_OF)
    assert [(share.code, share.member_count) for share in preview.store_split] == [
        (store_b.code, 1)
    ]
    # and: the next settling finds the row stale, sets it, and empties the log
    store_changes_settle()
    assert MemberRfm.objects.get(pk=member.pk).home_store_id == store_b.pk
    assert not MemberStoreChange.objects.exists()
