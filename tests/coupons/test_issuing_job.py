"""The issuing job: who gets a coupon, what it holds, the limits, re-runs and resumption."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coupons import tasks
from coupons.models import (
    BatchStatus,
    Coupon,
    CouponStatus,
    TemplateStatus,
    UsableIn,
    ValidityKind,
)
from coupons.progress import batch_progress
from coupons.services import issuing_chunk
from coupons.services.issuing_job import batch_chunk_run, batch_job_run
from jobs.models import JobChunk, JobStatus
from members.audit import LogEntry
from members.errors import RuleViolation
from members.models import OperatingModel, Source
from tests.coupons.factories import CouponFactory, CouponTemplateFactory, IssueBatchFactory
from tests.coupons.issuing_helpers import REFERRED, holders, issue, segment_batch
from tests.members.factories import MemberFactory, StoreFactory

pytestmark = pytest.mark.django_db


def members(store, count, **fields):
    return [MemberFactory(home_store=store, **fields) for _ in range(count)]


class FailOnce:
    """Wraps a function of the chunk; raises after its `at`-th call has done its work, once."""

    def __init__(self, function, at):
        self.function, self.at, self.calls = function, at, 0

    def __call__(self, *args, **kwargs):
        result = self.function(*args, **kwargs)
        self.calls += 1
        if self.calls == self.at:
            raise RuntimeError("worker lost")
        return result


# --- Who gets a coupon, and what it holds -------------------------------------------------------


def test_segment_batch_issues_to_exactly_the_segments_members(store_a, store_b, hq_admin):
    # given: referred members in two stores, and others
    referred = members(store_a, 3, source=Source.REFERRAL) + members(
        store_b, 2, source=Source.REFERRAL
    )
    members(store_a, 4, source=Source.IN_STORE)
    template = CouponTemplateFactory(face_value=Decimal("30.00"), min_spend=Decimal("200.00"))
    batch = segment_batch(template, rule=REFERRED, actor=hq_admin)
    # when
    batch = issue(batch, chunk_size=2)
    # then
    assert holders(batch) == {m.pk for m in referred}
    assert (batch.status, batch.target_count, batch.issued_count) == ("finished", 5, 5)
    assert batch.skipped == {} and batch.started_at and batch.finished_at
    template.refresh_from_db()
    assert template.issued_count == 5


def test_coupons_copy_the_template_and_carry_an_unguessable_code(store_a):
    # given
    member = MemberFactory(home_store=store_a)
    template = CouponTemplateFactory(
        face_value=Decimal("60.00"), min_spend=Decimal("300.00"), valid_days=30
    )
    # when
    batch = issue(segment_batch(template))
    # then
    coupon = Coupon.objects.get(batch=batch)
    today = timezone.localdate()
    assert (coupon.member_id, coupon.store_id, coupon.template_id) == (
        member.pk,
        store_a.pk,
        template.pk,
    )
    assert (coupon.face_value, coupon.min_spend) == (Decimal("60.00"), Decimal("300.00"))
    assert (coupon.valid_from, coupon.valid_until) == (today, today + timedelta(days=29))
    assert coupon.status == CouponStatus.ISSUED and coupon.reminded_on is None
    assert abs(coupon.issued_at - timezone.now()) < timedelta(minutes=1)
    assert re.fullmatch(r"[0-9A-F]{16}", coupon.code)


def test_codes_differ_between_coupons(store_a):
    members(store_a, 40)
    batch = issue(segment_batch(CouponTemplateFactory()))
    codes = list(Coupon.objects.filter(batch=batch).values_list("code", flat=True))
    assert len(codes) == 40 and len(set(codes)) == 40


def test_the_job_writes_the_same_rows_on_every_database(store_a, store_b):
    # given: fixed dates, a covered store and one not, a member at the limit already
    # (run on SQLite and on Postgres, the expected rows are the same literal list)
    a1 = MemberFactory(home_store=store_a, phone="13900000001")
    MemberFactory(home_store=store_a, phone="13900000002")
    MemberFactory(home_store=store_b, phone="13900000003")
    a4 = MemberFactory(home_store=store_a, phone="13900000004")
    template = CouponTemplateFactory(
        validity=ValidityKind.FIXED,
        valid_days=None,
        valid_from=date(2030, 1, 1),
        valid_until=date(2030, 3, 31),
        usable_in=UsableIn.STORES,
        face_value=Decimal("20.00"),
        min_spend=Decimal("199.99"),
    )
    template.stores.set([store_a])
    CouponFactory(template=template, batch__template=template, member=a4)
    # when
    batch = issue(segment_batch(template), chunk_size=2)
    # then
    rows = Coupon.objects.filter(batch=batch).order_by("member__phone")
    assert [
        (
            c.member.phone,
            c.store.code,
            c.face_value,
            c.min_spend,
            c.valid_from,
            c.valid_until,
            c.status,
        )
        for c in rows
    ] == [
        (
            "13900000001",
            "A001",
            Decimal("20.00"),
            Decimal("199.99"),
            date(2030, 1, 1),
            date(2030, 3, 31),
            "issued",
        ),
        (
            "13900000002",
            "A001",
            Decimal("20.00"),
            Decimal("199.99"),
            date(2030, 1, 1),
            date(2030, 3, 31),
            "issued",
        ),
    ]
    assert batch.skipped == {"store_not_covered": 1, "per_member_limit": 1}
    assert (batch.target_count, batch.issued_count) == (4, 2)
    assert a1.pk in holders(batch)


def test_a_store_batch_reaches_only_its_own_stores_members(store_a, store_b, manager_a):
    # given: an everyone-rule segment of store A
    own = members(store_a, 2)
    members(store_b, 2)
    # when
    batch = issue(segment_batch(CouponTemplateFactory(), store=store_a, actor=manager_a))
    # then
    assert holders(batch) == {m.pk for m in own}
    assert batch.target_count == 2


# --- Limits -------------------------------------------------------------------------------------


def test_quota_running_out_mid_chunk_issues_to_the_lowest_member_ids_first(store_a):
    # given: five members, two already issued of a quota of five
    five = members(store_a, 5)
    template = CouponTemplateFactory(total_quota=5)
    template.issued_count = 2
    template.save()
    # when: one chunk holds everyone
    batch = issue(segment_batch(template), chunk_size=100)
    # then
    assert holders(batch) == {m.pk for m in sorted(five, key=lambda m: m.pk)[:3]}
    assert batch.skipped == {"quota": 2}
    template.refresh_from_db()
    assert template.issued_count == 5


def test_quota_spans_chunks(store_a):
    five = members(store_a, 5)
    batch = issue(segment_batch(CouponTemplateFactory(total_quota=3)), chunk_size=2)
    assert holders(batch) == {m.pk for m in sorted(five, key=lambda m: m.pk)[:3]}
    assert batch.skipped == {"quota": 2} and batch.issued_count == 3


def test_budget_allows_what_is_left_divided_by_the_face_value(store_a):
    # given: budget 100, one 30-yuan coupon already issued -> floor(70 / 30) = 2 more
    members(store_a, 4)
    template = CouponTemplateFactory(face_value=Decimal("30.00"), budget=Decimal("100.00"))
    template.issued_count = 1
    template.save()
    # when
    batch = issue(segment_batch(template))
    # then
    assert batch.issued_count == 2 and batch.skipped == {"budget": 2}


def test_the_tighter_of_quota_and_budget_names_the_reason(store_a):
    members(store_a, 4)
    template = CouponTemplateFactory(
        face_value=Decimal("30.00"), budget=Decimal("1000.00"), total_quota=1
    )
    batch = issue(segment_batch(template))
    assert batch.issued_count == 1 and batch.skipped == {"quota": 3}


def test_per_member_limit_of_two_holds_across_batches(store_a):
    # given: a limit of two; one member already redeemed one coupon of the template
    first, second = members(store_a, 2)
    template = CouponTemplateFactory(per_member_limit=2)
    CouponFactory(
        template=template, batch__template=template, member=first, status=CouponStatus.REDEEMED
    )
    # when: two batches
    one = issue(segment_batch(template))
    two = issue(segment_batch(template))
    # then: the first member reached two with the first batch
    assert holders(one) == {first.pk, second.pk}
    assert holders(two) == {second.pk}
    assert two.skipped == {"per_member_limit": 1}
    assert Coupon.objects.filter(template=template, member=first).count() == 2
    assert Coupon.objects.filter(template=template, member=second).count() == 2


def test_per_member_limit_counts_coupons_of_the_template_only(store_a):
    member = MemberFactory(home_store=store_a)
    CouponFactory(member=member)  # another template's coupon
    batch = issue(segment_batch(CouponTemplateFactory()))
    assert holders(batch) == {member.pk}


@pytest.mark.parametrize(
    "usable_in",
    [UsableIn.REGIONS, UsableIn.STORE_GROUPS, UsableIn.OPERATING_MODELS, UsableIn.STORES],
)
def test_members_of_stores_the_template_does_not_cover_are_skipped(usable_in, store_a, store_b):
    # given: store A direct, store B franchise; the template covers store A by `usable_in`
    store_a.operating_model = OperatingModel.DIRECT
    store_a.save()
    inside = members(store_a, 2)
    members(store_b, 3)
    # Only the relation `usable_in` names points at store A; the others point at store B, so a
    # rule reading the wrong relation issues to the wrong store.
    template = CouponTemplateFactory(usable_in=usable_in)

    def named_or_b(kind):
        return store_a if kind == usable_in else store_b

    template.regions.set([named_or_b(UsableIn.REGIONS).region])
    template.store_groups.set([named_or_b(UsableIn.STORE_GROUPS).store_group])
    template.stores.set([named_or_b(UsableIn.STORES)])
    template.operating_models = [named_or_b(UsableIn.OPERATING_MODELS).operating_model]
    template.save()
    # when
    batch = issue(segment_batch(template))
    # then
    assert holders(batch) == {m.pk for m in inside}
    assert batch.skipped == {"store_not_covered": 3}


def test_a_template_closed_before_the_run_issues_nothing(store_a):
    members(store_a, 2)
    template = CouponTemplateFactory()
    batch = segment_batch(template)
    template.status = TemplateStatus.CLOSED
    template.save()
    batch = issue(batch)
    assert batch.issued_count == 0 and batch.skipped == {"template_closed": 2}
    assert batch.status == BatchStatus.FINISHED


# --- Re-runs, resumption, the audit -------------------------------------------------------------


def test_rerunning_a_finished_batch_issues_nothing_new(store_a):
    # given
    members(store_a, 3)
    template = CouponTemplateFactory(total_quota=2)
    batch = issue(segment_batch(template), chunk_size=2)
    codes = set(Coupon.objects.values_list("code", flat=True))
    # when: re-delivered, then re-run on purpose
    issue(batch)
    batch = issue(batch, rerun=True, chunk_size=2)
    # then
    assert set(Coupon.objects.values_list("code", flat=True)) == codes
    assert (batch.issued_count, batch.skipped) == (2, {"quota": 1})
    template.refresh_from_db()
    assert template.issued_count == 2


def test_a_rerun_picks_up_members_who_became_targets_since(store_a):
    # given
    first = members(store_a, 2, source=Source.REFERRAL)
    batch = issue(segment_batch(CouponTemplateFactory(), rule=REFERRED))
    late = MemberFactory(home_store=store_a, source=Source.REFERRAL)
    # when
    batch = issue(batch, rerun=True)
    # then
    assert holders(batch) == {m.pk for m in [*first, late]}
    assert (batch.target_count, batch.issued_count) == (3, 3)


def test_a_redelivered_chunk_does_nothing(store_a):
    members(store_a, 3)
    batch = issue(segment_batch(CouponTemplateFactory()), chunk_size=2)
    chunk = JobChunk.objects.filter(run=batch_job_run(batch)).first()
    assert batch_chunk_run(chunk_id=chunk.pk) is False
    assert Coupon.objects.count() == 3


def _outcome(batch):
    batch.refresh_from_db()
    return holders(batch), batch.issued_count, batch.skipped, batch.status, batch.target_count


@pytest.mark.parametrize("at", [1, 2, 3])
def test_a_chunk_failing_half_way_resumes_to_the_result_of_a_clean_run(store_a, monkeypatch, at):
    # given: seven members, a quota of five, chunks of two; the at-th chunk dies after writing
    members(store_a, 7)
    clean = issue(segment_batch(CouponTemplateFactory(total_quota=5)), chunk_size=2)
    broken = segment_batch(CouponTemplateFactory(total_quota=5))
    monkeypatch.setattr(issuing_chunk, "_counts_add", FailOnce(issuing_chunk._counts_add, at))
    # when
    with pytest.raises(RuntimeError):
        issue(broken, chunk_size=2)
    # then: failed, with nothing of the dead chunk left
    broken.refresh_from_db()
    assert broken.status == BatchStatus.FAILED and "worker lost" in broken.error
    assert Coupon.objects.filter(batch=broken).count() == broken.issued_count
    assert batch_job_run(broken).status == JobStatus.FAILED
    # when: run again
    issue(broken, chunk_size=2)
    # then
    assert _outcome(broken) == _outcome(clean)
    assert batch_progress(broken)["percent"] == 100


def test_a_batch_run_writes_one_audit_row_with_its_counts(store_a, hq_admin):
    # given
    members(store_a, 3)
    batch = issue(segment_batch(CouponTemplateFactory(total_quota=2), actor=hq_admin))
    # when: re-run with nothing new
    issue(batch, rerun=True)
    # then: one row, the batch's, none per coupon
    entries = LogEntry.objects.filter(additional_data__event="coupon_batch_issued")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.object_pk == str(batch.pk) and entry.actor == hq_admin
    assert entry.additional_data["issued"] == 2 and entry.additional_data["skipped"] == {"quota": 1}
    assert not LogEntry.objects.filter(content_type__model="coupon").exists()


def test_a_rerun_that_issues_writes_its_own_audit_row(store_a):
    MemberFactory(home_store=store_a)
    batch = issue(segment_batch(CouponTemplateFactory()))
    MemberFactory(home_store=store_a)
    issue(batch, rerun=True)
    entries = LogEntry.objects.filter(additional_data__event="coupon_batch_issued")
    assert sorted(e.additional_data["issued"] for e in entries) == [1, 1]


def test_progress_of_a_queued_and_a_finished_batch(store_a):
    members(store_a, 3)
    batch = segment_batch(CouponTemplateFactory(total_quota=2))
    queued = batch_progress(batch)
    assert (queued["status"], queued["percent"], queued["chunk_total"]) == ("queued", 0, 0)
    done = batch_progress(issue(batch, chunk_size=2))
    assert (done["percent"], done["chunk_done"], done["chunk_total"]) == (100, 2, 2)
    assert (done["target_count"], done["issued_count"], done["skipped_total"]) == (3, 2, 1)
    assert done["skipped_labelled"] == [("发放总量已用完", 1)]


def test_a_single_batch_is_never_run_by_the_job(store_a):
    batch = IssueBatchFactory(source="single", status=BatchStatus.FINISHED)
    assert issue(batch, rerun=True).status == BatchStatus.FINISHED
    assert batch_job_run(batch) is None


def test_a_chunk_costs_the_same_queries_for_three_members_or_thirty(store_a, store_b):
    # given: two batches over the same stores, one chunk each
    def queries(count):
        store = StoreFactory()
        members(store, count)
        batch = segment_batch(CouponTemplateFactory(total_quota=1000), store=store)
        with CaptureQueriesContext(connection) as captured:
            issue(batch)
        assert Coupon.objects.filter(batch=batch).count() == count
        return len(captured)

    # then: set-based, no query per member
    assert queries(3) == queries(30)


def test_the_issuing_tasks_retry_transient_database_errors():
    # A retried chunk or coordinator resumes the batch (the interrupted-run test above), so a
    # dropped connection or a deadlock victim is retried rather than left failed.
    for task in (tasks.issue_batch, tasks.issue_chunk):
        assert set(task.autoretry_for) >= {OperationalError, InterfaceError}
        assert task.max_retries >= 1


def test_a_segment_rule_that_no_longer_holds_fails_the_batch_with_its_reason(store_a):
    # given: a segment whose rule names a condition that no longer exists
    MemberFactory(home_store=store_a)
    batch = segment_batch(CouponTemplateFactory(), rule={"op": "and", "items": [{"type": "gone"}]})
    # when
    with pytest.raises(RuleViolation):
        issue(batch)
    # then
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and "第 1 项" in batch.error
    assert not Coupon.objects.exists()
