"""Issuing under real concurrency (Postgres): batches of one template racing for its quota, and
one batch's coordinator delivered twice at once. Twelve threads behind a barrier, each with its
own connection."""

import pytest

from coupons.models import BatchStatus, Coupon
from tests.coupons.factories import CouponTemplateFactory
from tests.coupons.issuing_helpers import issue, segment_batch
from tests.members.factories import MemberFactory
from tests.threads import run_together as run_threads

THREADS = 12
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(work, count=THREADS):
    return run_threads(work, count)


def test_batches_of_one_template_never_overrun_its_quota_together(store_a):
    # given: twelve batches of one template (quota 20) to the same eight members
    for _ in range(8):
        MemberFactory(home_store=store_a)
    template = CouponTemplateFactory(total_quota=20, per_member_limit=99)
    batches = [segment_batch(template) for _ in range(THREADS)]
    # when: all run at once, in chunks of three members
    results = run_together(lambda i: issue(batches[i], chunk_size=3))
    # then
    assert all(getattr(r, "status", None) == BatchStatus.FINISHED for r in results), results
    assert Coupon.objects.filter(template=template).count() == 20
    template.refresh_from_db()
    assert template.issued_count == 20
    assert sum(b.issued_count for b in results) == 20


def test_a_coordinator_delivered_twelve_times_at_once_issues_once(store_a):
    members = [MemberFactory(home_store=store_a) for _ in range(10)]
    batch = segment_batch(CouponTemplateFactory())
    results = run_together(lambda i: issue(batch, chunk_size=3))
    assert not [r for r in results if isinstance(r, Exception)], results
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FINISHED and batch.issued_count == 10
    assert Coupon.objects.filter(batch=batch).count() == len(members)


def test_twelve_reruns_at_once_add_only_the_new_members_coupon(store_a):
    # given: a finished batch, then one more member
    for _ in range(10):
        MemberFactory(home_store=store_a)
    batch = issue(segment_batch(CouponTemplateFactory()), chunk_size=3)
    late = MemberFactory(home_store=store_a)
    # when
    results = run_together(lambda i: issue(batch, rerun=True, chunk_size=3))
    # then
    assert not [r for r in results if isinstance(r, Exception)], results
    batch.refresh_from_db()
    assert (batch.status, batch.issued_count, batch.target_count) == ("finished", 11, 11)
    assert Coupon.objects.filter(batch=batch).count() == 11
    assert Coupon.objects.filter(batch=batch, member=late).exists()
