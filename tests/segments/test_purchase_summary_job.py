"""The nightly purchase-summary refresh as a chunked job (INV-JOB-RERUN): a full first run, later
runs that rewrite only the members whose orders changed and end as a full rebuild would, re-runs
that write nothing, interrupted runs that resume to the clean result, refused dates, the command
and the tasks."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.models import JobChunk, JobRun, JobStatus
from members import tasks
from members.errors import RuleViolation
from members.models import MemberPurchase, PurchaseStage, PurchaseSummaryRun
from members.purchases import purchase_summary_refresh, runs
from tests.members.factories import MemberFactory
from tests.segments.purchases import (
    SUMMARY_DAY,
    buy,
    catalogue,
    days_before,
    local,
    recorded_long_ago,
    refund_in_full,
    summarise,
)

pytestmark = pytest.mark.django_db

DAY_BEFORE = SUMMARY_DAY - timedelta(days=1)


@pytest.fixture
def products():
    return catalogue()


@pytest.fixture
def shoppers(products):
    """Six members, four of whom bought before the day before the summary's date."""
    members = [MemberFactory() for _ in range(6)]
    for number, member in enumerate(members[:4]):
        buy(member, products["eye"], paid_at=days_before(30 + number))
        buy(member, products["cleanser"], products["mask"], paid_at=days_before(50 + number))
    recorded_long_ago()
    return members


def snapshot() -> list[tuple]:
    rows = MemberPurchase.objects.values_list(
        "member_id", "product_id", "last_bought_on", "last_order_id"
    )
    return sorted(rows)


def full_rebuild() -> list[tuple]:
    """The rows a full run gives on the same data (the next day: no order is paid on it)."""
    MemberPurchase.objects.all().delete()
    summarise(SUMMARY_DAY + timedelta(days=1), full=True, chunk_size=3)
    return snapshot()


def forget_runs() -> None:
    PurchaseSummaryRun.objects.all().delete()
    JobRun.objects.filter(job=runs.JOB).delete()


def writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


def the_next_day(products, shoppers):
    """What happens between two refreshes: a purchase, a refund, a purchase by a newcomer."""
    buy(shoppers[0], products["serum"], paid_at=local(SUMMARY_DAY, 10))
    refund_in_full(shoppers[1].orders.order_by("-paid_at").first())
    buy(shoppers[5], products["eye"], paid_at=local(SUMMARY_DAY, 18))


class FailOnce:
    """Wraps a chunk's work: the `at`-th call does the work, then dies (the rollback undoes it)."""

    def __init__(self, wrapped, *, at: int):
        self.wrapped, self.at, self.calls = wrapped, at, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        rows = self.wrapped(*args, **kwargs)
        if self.calls == self.at:
            raise RuntimeError("worker lost")
        return rows


# --- What a run writes --------------------------------------------------------------------------


def test_the_first_run_rewrites_every_member(shoppers):
    # when
    run = summarise(chunk_size=2)
    # then
    assert run.finished_at is not None and run.previous is None and run.full
    assert run.rows == MemberPurchase.objects.count() == 4 * 3
    assert {row[0] for row in snapshot()} == {member.pk for member in shoppers[:4]}
    job = run.job_run
    assert (job.status, job.step) == (JobStatus.FINISHED, "finish")
    assert job.detail["full"] is True and job.detail["rows"] == run.rows
    assert not PurchaseStage.objects.exists()


def test_the_next_run_rewrites_only_the_changed_members_and_equals_a_full_rebuild(
    products, shoppers
):
    # given
    summarise(DAY_BEFORE, chunk_size=2)
    the_next_day(products, shoppers)
    # when
    run = summarise(chunk_size=2)
    # then: the member who bought, the one refunded and the newcomer; nobody else
    assert run.previous.business_date == DAY_BEFORE and not run.full
    assert run.job_run.detail["members_rewritten"] == 3
    incremental = snapshot()
    assert (shoppers[1].pk, products["eye"].pk) not in {row[:2] for row in incremental}
    assert incremental == full_rebuild()


def test_rerun_of_a_finished_date_writes_nothing(shoppers):
    # given
    summarise(chunk_size=2)
    before = snapshot()
    chunks_before = list(JobChunk.objects.values_list("pk", "status", "attempts", "finished_at"))
    # when
    with CaptureQueriesContext(connection) as queries:
        run = summarise(chunk_size=3)
    # then
    assert run.business_date == SUMMARY_DAY
    assert writes(queries.captured_queries) == []
    assert snapshot() == before
    assert list(JobChunk.objects.values_list("pk", "status", "attempts", "finished_at")) == (
        chunks_before
    )


@pytest.mark.parametrize("at", [1, 2])
def test_an_interrupted_run_resumes_and_ends_as_a_clean_run(products, shoppers, monkeypatch, at):
    # given: the day before refreshed; tonight's run dies inside a chunk
    summarise(DAY_BEFORE, chunk_size=2)
    the_next_day(products, shoppers)
    monkeypatch.setattr(runs, "chunk_rewrite", FailOnce(runs.chunk_rewrite, at=at))
    with pytest.raises(RuntimeError):
        summarise(chunk_size=2)
    interrupted = PurchaseSummaryRun.objects.get(business_date=SUMMARY_DAY)
    assert interrupted.finished_at is None
    assert interrupted.job_run.status == JobStatus.FAILED
    # when
    resumed = summarise(chunk_size=2)
    # then: the rows a full rebuild of the same data gives
    assert resumed.finished_at is not None and resumed.job_run.status == JobStatus.FINISHED
    assert JobChunk.objects.filter(run=resumed.job_run, attempts=2).count() == 1
    assert snapshot() == full_rebuild()


def test_chunk_sizes_give_identical_rows(products, shoppers):
    results = []
    for size in (1, 2, 10_000):
        MemberPurchase.objects.all().delete()
        forget_runs()
        summarise(chunk_size=size)
        results.append(snapshot())
    assert results[0] == results[1] == results[2] and results[0]


def test_chunk_queries_do_not_grow_with_its_members(products):
    def queries_of_a_chunk(day):
        chunks = []
        summarise(day, dispatch=chunks.extend)
        with CaptureQueriesContext(connection) as chunk:
            runs.purchase_chunk_run(chunk_id=chunks[0], dispatch=chunks.extend)
        return len(chunk)

    # given: a first run; then one member's purchase before the next
    buy(MemberFactory(), products["eye"], paid_at=days_before(9))
    summarise(DAY_BEFORE - timedelta(days=1))
    buy(MemberFactory(), products["eye"], paid_at=days_before(8))
    few = queries_of_a_chunk(DAY_BEFORE)
    # when: thirty members' purchases before the run after
    for _ in range(30):
        buy(MemberFactory(), products["eye"], products["serum"], paid_at=days_before(7))
    # then
    assert queries_of_a_chunk(SUMMARY_DAY) == few


# --- Refused dates ------------------------------------------------------------------------------


def test_an_earlier_date_than_the_latest_run_is_refused(shoppers):
    summarise()
    before = snapshot()
    with pytest.raises(RuleViolation) as refused:
        summarise(DAY_BEFORE)
    assert refused.value.code == "purchase_date_not_monotone"
    assert str(SUMMARY_DAY) in refused.value.message and str(DAY_BEFORE) in refused.value.message
    assert snapshot() == before


def test_a_date_in_the_future_is_refused(shoppers):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(RuleViolation) as refused:
        purchase_summary_refresh(business_date=tomorrow)
    assert refused.value.code == "purchase_date_in_future"
    assert not PurchaseSummaryRun.objects.exists()


# --- Command and tasks --------------------------------------------------------------------------


def test_command_refreshes_for_a_date_and_says_what_it_did(shoppers):
    out = StringIO()
    call_command("refresh_purchases", "--date", str(SUMMARY_DAY), stdout=out)
    assert "购买汇总完成" in out.getvalue() and "全量" in out.getvalue()
    assert PurchaseSummaryRun.objects.get().business_date == SUMMARY_DAY


def test_command_refuses_an_earlier_date_in_chinese(shoppers):
    summarise()
    with pytest.raises(CommandError, match="不能再按更早的日期"):
        call_command("refresh_purchases", "--date", str(DAY_BEFORE), stdout=StringIO())


def test_the_nightly_task_refreshes_as_of_yesterday(shoppers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.purchase_summary_nightly.delay()
    run = PurchaseSummaryRun.objects.get()
    assert run.business_date == timezone.localdate() - timedelta(days=1)
    assert run.finished_at is not None and MemberPurchase.objects.exists()


def test_the_start_task_runs_the_chunks_through_celery(
    shoppers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.purchase_summary_start.delay(SUMMARY_DAY.isoformat())
    via_celery = snapshot()
    assert via_celery and via_celery == full_rebuild()


def test_the_start_task_logs_a_refused_date_instead_of_failing(shoppers, caplog):
    summarise()
    tasks.purchase_summary_start.delay(DAY_BEFORE.isoformat())
    assert "refused" in caplog.text
    assert not PurchaseSummaryRun.objects.filter(business_date=DAY_BEFORE).exists()


def planner_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_the_finished_run_leaves_fresh_planner_statistics_for_the_previews(shoppers):
    # when
    with CaptureQueriesContext(connection) as queries:
        summarise(chunk_size=2)
    # then: ANALYZE counted the rows the run wrote (another test may have left the same figure
    # in pg_class, so the statement itself is checked too)
    assert any(q["sql"].startswith('ANALYZE "members_memberpurchase"') for q in queries)
    assert planner_rows("members_memberpurchase") == MemberPurchase.objects.count() == 4 * 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_finished_run_vacuums_the_summary_so_previews_scan_its_index_only(shoppers):
    # when: the refresh runs outside any transaction, as the nightly task does
    with CaptureQueriesContext(connection) as queries:
        summarise(chunk_size=2)
    # then: VACUUM marked the summary's pages all-visible (index-only scans read no heap)
    assert any(q["sql"].startswith('VACUUM (ANALYZE) "members_memberpurchase"') for q in queries)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relallvisible FROM pg_class WHERE relname = 'members_memberpurchase'"
        )
        assert cursor.fetchone()[0] >= 1
