"""The chunk primitives every nightly job is built from (INV-JOB-RERUN)."""

import threading
from datetime import date

import pytest
from django.db import connection

from jobs.models import JobChunk, JobRun, JobStatus
from jobs.services import (
    id_ranges,
    job_chunk_execute,
    job_chunks_left,
    job_chunks_plan,
    job_run_advance,
    job_run_fail,
    job_run_finish,
    job_run_open,
    job_run_plan,
    job_run_restart,
)
from members.models import Member
from tests.members.factories import MemberFactory

DAY = date(2026, 6, 30)


@pytest.fixture
def run(db):
    return job_run_open(job="test.sweep", business_date=DAY)


def test_open_creates_one_run_per_job_and_date_and_marks_it_running(run):
    again = job_run_open(job="test.sweep", business_date=DAY)
    assert again.pk == run.pk and again.status == JobStatus.RUNNING and again.started_at
    other = job_run_open(job="test.sweep", business_date=DAY, subject="7")
    assert other.pk != run.pk


def test_open_leaves_a_finished_run_finished(run):
    job_run_finish(run, detail={"rows": 3})
    again = job_run_open(job="test.sweep", business_date=DAY)
    assert again.status == JobStatus.FINISHED and again.detail == {"rows": 3}


def test_open_resumes_a_failed_run_and_clears_its_error(run):
    job_run_fail(run, error="boom")
    again = job_run_open(job="test.sweep", business_date=DAY)
    assert (again.status, again.error) == (JobStatus.RUNNING, "")


def test_id_ranges_are_half_open_and_cover_every_row(db):
    members = [MemberFactory() for _ in range(5)]
    ids = [m.pk for m in members]
    ranges = id_ranges(Member.objects.all(), 2)
    assert ranges[0][0] == min(ids) and all(hi - lo == 2 for lo, hi in ranges)
    assert sorted(i for i in ids for lo, hi in ranges if lo <= i < hi) == sorted(ids)
    assert id_ranges(Member.objects.none(), 2) == []


def test_planning_twice_creates_no_duplicate_chunks(run):
    assert job_chunks_plan(run, step="a", ranges=[(1, 3), (3, 5)]) == 2
    assert job_chunks_plan(run, step="a", ranges=[(1, 3), (3, 5)]) == 2
    run.refresh_from_db()
    assert run.chunk_total == 2 and JobChunk.objects.count() == 2


def test_a_chunk_runs_once_and_counts_its_rows(run):
    job_chunks_plan(run, step="a", ranges=[(1, 3)])
    chunk = run.chunks.get()
    calls = []
    assert job_chunk_execute(chunk.pk, lambda c: calls.append(c.lo) or 7) is True
    assert job_chunk_execute(chunk.pk, lambda c: calls.append(c.lo) or 7) is False
    chunk.refresh_from_db()
    run.refresh_from_db()
    assert calls == [1] and (chunk.status, chunk.rows, chunk.attempts) == ("finished", 7, 1)
    assert run.chunk_done == 1 and not job_chunks_left(run, step="a").exists()


def test_a_failing_chunk_rolls_back_its_writes_and_stays_to_do(run):
    job_chunks_plan(run, step="a", ranges=[(1, 3)])
    chunk = run.chunks.get()

    def work(chunk):
        MemberFactory()
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        job_chunk_execute(chunk.pk, work)
    chunk.refresh_from_db()
    assert not Member.objects.exists()
    assert (chunk.status, chunk.attempts) == (JobStatus.RUNNING, 1)
    assert list(job_chunks_left(run, step="a")) == [chunk]


def test_advance_waits_for_the_last_chunk_and_has_one_winner(run):
    job_chunks_plan(run, step="a", ranges=[(1, 3), (3, 5)])
    assert job_run_advance(run, from_step="", to_step="a") is True  # a step without chunks
    first, second = run.chunks.order_by("lo")
    job_chunk_execute(first.pk, lambda c: 0)
    assert job_run_advance(run, from_step="a", to_step="b") is False
    job_chunk_execute(second.pk, lambda c: 0)
    assert job_run_advance(run, from_step="a", to_step="b") is True
    assert job_run_advance(run, from_step="a", to_step="b") is False
    assert run.step == "b"


def test_fail_never_overwrites_a_finished_run(run):
    job_run_finish(run, detail={})
    job_run_fail(run, error="late failure")
    run.refresh_from_db()
    assert (run.status, run.error) == (JobStatus.FINISHED, "")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_advances_have_exactly_one_winner():
    # given: a step with every chunk done, and eight callers at once
    run = job_run_open(job="test.sweep", business_date=DAY)
    JobRun.objects.filter(pk=run.pk).update(step="a")
    barrier = threading.Barrier(8)
    wins = []

    def advance():
        try:
            mine = JobRun.objects.get(pk=run.pk)
            barrier.wait(timeout=10)
            wins.append(job_run_advance(mine, from_step="a", to_step="b"))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=advance) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then
    assert sorted(wins) == [False] * 7 + [True]


def test_plan_enters_the_first_step_once_and_a_later_plan_changes_nothing(run):
    job_run_plan(run, step="a", ranges=[(1, 3), (3, 5)])
    assert (run.step, run.chunk_total) == ("a", 2)

    job_run_advance(run, from_step="a", to_step="b")  # chunks left: stays in "a"
    job_run_plan(run, step="a", ranges=[(1, 9)])

    assert (run.step, run.chunk_total) == ("a", 2)
    assert list(run.chunks.values_list("lo", "hi")) == [(1, 3), (3, 5)]


def test_restart_starts_a_finished_run_afresh(run):
    job_run_plan(run, step="a", ranges=[(1, 3)])
    job_chunk_execute(run.chunks.get().pk, lambda chunk: 1)
    job_run_finish(run)

    job_run_restart(run)

    assert (run.status, run.step, run.chunk_total, run.chunk_done) == (JobStatus.RUNNING, "", 0, 0)
    assert not run.chunks.exists() and run.finished_at is None
