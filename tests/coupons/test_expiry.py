"""The nightly expiry: exactly the unused coupons past their last day, audited once each;
re-runs write nothing; an interrupted run resumes to the clean result (INV-JOB-RERUN)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coupons import tasks
from coupons.models import Coupon, CouponStatus
from coupons.services import expiry
from coupons.services.expiry import coupons_expire
from jobs.models import JobChunk, JobRun, JobStatus
from members.audit import LogEntry
from members.errors import RuleViolation
from tests.coupons.factories import CouponFactory, IssueBatchFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
D = TODAY - timedelta(days=1)  # the business date of tonight's run: yesterday


def coupon(last_day, status=CouponStatus.ISSUED, **fields):
    return CouponFactory(
        valid_from=last_day - timedelta(days=20), valid_until=last_day, status=status, **fields
    )


def expiry_audit():
    """(coupon id, change) of every expiry audit row, in id order."""
    rows = LogEntry.objects.filter(additional_data__event="coupon_expire")
    return sorted((int(row.object_pk), row.changes["status"]) for row in rows)


def state():
    return {
        "coupons": sorted(Coupon.objects.values_list("pk", "status")),
        "audit": expiry_audit(),
    }


def writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


@pytest.fixture
def coupons_around_d():
    """Coupons on both sides of D's end, in every status."""
    batch = IssueBatchFactory()
    return {
        "last_day_d": coupon(D, batch=batch),
        "long_past": coupon(D - timedelta(days=40), batch=batch),
        "last_day_d_plus_1": coupon(D + timedelta(days=1), batch=batch),
        "redeemed": coupon(D, status=CouponStatus.REDEEMED, batch=batch),
        "voided": coupon(D, status=CouponStatus.VOIDED, batch=batch),
        "later": coupon(D + timedelta(days=30), batch=batch),
    }


def test_expiry_moves_exactly_the_unused_coupons_past_their_last_day(coupons_around_d):
    # when
    run = coupons_expire(business_date=D)
    # then
    statuses = {name: Coupon.objects.get(pk=c.pk).status for name, c in coupons_around_d.items()}
    assert statuses == {
        "last_day_d": CouponStatus.EXPIRED,
        "long_past": CouponStatus.EXPIRED,
        "last_day_d_plus_1": CouponStatus.ISSUED,  # still valid today
        "redeemed": CouponStatus.REDEEMED,
        "voided": CouponStatus.VOIDED,
        "later": CouponStatus.ISSUED,
    }
    assert (run.job, run.business_date, run.status) == ("coupons.expire", D, JobStatus.FINISHED)
    assert run.detail["rows"] == 2


def test_each_expired_coupon_gets_one_audit_row_and_a_status_time(coupons_around_d):
    before = timezone.now()
    # when
    coupons_expire(business_date=D)
    # then
    moved = [coupons_around_d["last_day_d"].pk, coupons_around_d["long_past"].pk]
    assert expiry_audit() == sorted((pk, ["issued", "expired"]) for pk in moved)
    for pk in moved:
        assert Coupon.objects.get(pk=pk).status_changed_at >= before
    assert Coupon.objects.get(pk=coupons_around_d["later"].pk).status_changed_at is None


def test_rerun_of_a_finished_date_writes_nothing(coupons_around_d):
    # given
    coupons_expire(business_date=D, chunk_size=2)
    before = state()
    chunks = list(JobChunk.objects.values_list("pk", "status", "attempts", "finished_at"))
    # when
    with CaptureQueriesContext(connection) as queries:
        coupons_expire(business_date=D, chunk_size=3)
    # then
    assert writes(queries.captured_queries) == []
    assert state() == before
    assert list(JobChunk.objects.values_list("pk", "status", "attempts", "finished_at")) == chunks
    assert JobRun.objects.filter(job="coupons.expire").count() == 1


def test_the_next_night_expires_only_the_new_ones_without_touching_the_old(coupons_around_d):
    # given
    coupons_expire(business_date=D - timedelta(days=1))
    first_night = expiry_audit()
    # when
    coupons_expire(business_date=D)
    # then: yesterday's run expired the long-past coupon, tonight's only the one ending on D
    assert [pk for pk, _ in first_night] == [coupons_around_d["long_past"].pk]
    assert [pk for pk, _ in expiry_audit()] == sorted(
        [coupons_around_d["long_past"].pk, coupons_around_d["last_day_d"].pk]
    )


class FailOnce:
    """Wraps a function of the job; raises on its `at`-th call, once (a worker lost mid-chunk)."""

    def __init__(self, function, at=1):
        self.function, self.at, self.calls = function, at, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise RuntimeError("worker lost")
        return self.function(*args, **kwargs)


@pytest.fixture
def many_due():
    batch = IssueBatchFactory()
    due = [coupon(D - timedelta(days=n % 3), batch=batch) for n in range(9)]
    kept = [coupon(TODAY + timedelta(days=n), batch=batch) for n in range(3)]
    return due, kept


def test_an_interrupted_run_resumes_to_the_clean_result(many_due, monkeypatch):
    # given: the third chunk fails, after its UPDATE, inside its transaction
    monkeypatch.setattr(expiry, "coupon_audit_bulk", FailOnce(expiry.coupon_audit_bulk, at=3))
    with pytest.raises(RuntimeError):
        coupons_expire(business_date=D, chunk_size=2)
    run = JobRun.objects.get(job="coupons.expire")
    assert run.status == JobStatus.FAILED and "worker lost" in run.error
    half_done = Coupon.objects.filter(status=CouponStatus.EXPIRED).count()
    assert 0 < half_done < 9 and len(expiry_audit()) == half_done
    # when: the same date again
    resumed = coupons_expire(business_date=D, chunk_size=2)
    after_resume = state()
    # then: as a clean run of the same data would have left it
    assert resumed.status == JobStatus.FINISHED
    assert JobChunk.objects.filter(attempts=2).count() == 1  # only the failed chunk was redone
    Coupon.objects.filter(status=CouponStatus.EXPIRED).update(status=CouponStatus.ISSUED)
    LogEntry.objects.all().delete()
    JobRun.objects.all().delete()
    coupons_expire(business_date=D, chunk_size=2)
    assert after_resume == state()
    due, kept = many_due
    assert len(after_resume["audit"]) == len(due)


def test_chunk_sizes_give_identical_results(many_due):
    results = []
    for size in (1, 4, 50_000):
        Coupon.objects.filter(status=CouponStatus.EXPIRED).update(status=CouponStatus.ISSUED)
        LogEntry.objects.all().delete()
        JobRun.objects.all().delete()
        coupons_expire(business_date=D, chunk_size=size)
        results.append(state())
    assert results[0] == results[1] == results[2]
    assert len(results[0]["audit"]) == len(many_due[0])  # and each run did expire the due ones


def test_a_night_without_due_coupons_finishes_empty():
    coupon(TODAY)
    run = coupons_expire(business_date=D)
    assert run.status == JobStatus.FINISHED and run.chunk_total == 0
    assert expiry_audit() == []


@pytest.mark.parametrize("days_ahead", [0, 1])
def test_a_date_not_yet_over_is_refused(days_ahead):
    coupon(TODAY)
    with pytest.raises(RuleViolation) as refused:
        coupons_expire(business_date=TODAY + timedelta(days=days_ahead))
    assert refused.value.code == "coupon_expire_date_not_over"
    assert "还没有过完" in refused.value.message
    assert not JobRun.objects.exists()
    assert not Coupon.objects.filter(status=CouponStatus.EXPIRED).exists()


def test_the_nightly_task_expires_as_of_yesterday(
    coupons_around_d, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        tasks.expire_nightly.delay()
    # then
    run = JobRun.objects.get(job="coupons.expire")
    assert run.business_date == D and run.status == JobStatus.FINISHED
    assert Coupon.objects.get(pk=coupons_around_d["last_day_d"].pk).status == CouponStatus.EXPIRED
    assert Coupon.objects.get(pk=coupons_around_d["last_day_d_plus_1"].pk).status == "issued"


def test_the_start_task_runs_chunks_through_celery(many_due, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.expire_start.delay(D.isoformat())
    run = JobRun.objects.get(job="coupons.expire")
    assert run.status == JobStatus.FINISHED and len(expiry_audit()) == 9


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_of_a_night_expire_and_audit_each_coupon_once(many_due):
    # given
    barrier, errors = threading.Barrier(4), []

    def run():
        try:
            barrier.wait(timeout=10)
            coupons_expire(business_date=D, chunk_size=2)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then
    assert errors == []
    due, _ = many_due
    assert [pk for pk, _ in expiry_audit()] == sorted(c.pk for c in due)
    assert JobRun.objects.get(job="coupons.expire").status == JobStatus.FINISHED
