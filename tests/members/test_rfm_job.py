"""The nightly regroup as a chunked job: changes, re-runs, resumption, chunk sizes, queries."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from jobs.models import JobChunk, JobStatus
from members import tasks
from members.demo import seed_demo
from members.errors import RuleViolation
from members.models import Member, MemberRfm, RfmGroup, RfmGroupChange, RfmRun
from members.rfm import rfm_chunk_run, rfm_regroup, runs, thresholds
from members.rfm.contract import Thresholds
from tests.members.factories import MemberFactory
from tests.members.rfm_helpers import (
    AS_OF,
    buy,
    days_ago,
    population,
    rfm_results_delete,
    rfm_settings,
    rfm_snapshot,
    run_tables,
)

pytestmark = pytest.mark.django_db

G = RfmGroup
DAY_BEFORE = AS_OF - timedelta(days=1)


@pytest.fixture
def chain(store_a, store_b):
    return population([store_a, store_b])


def two_nights(**options):
    rfm_regroup(business_date=DAY_BEFORE, **options)
    return rfm_regroup(business_date=AS_OF, **options)


def chunks_drained(chunk_ids: list[int], start: int = 0):
    """The chunk ids from `start`, including those appended while they are run."""
    while start < len(chunk_ids):
        yield chunk_ids[start]
        start += 1


def writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


# --- What a run writes --------------------------------------------------------------------------


def test_first_run_groups_every_member_and_records_no_change(chain, store_a):
    # when
    run = rfm_regroup(business_date=AS_OF, chunk_size=4)
    # then: no earlier run to have changed from (the matrix never reads a first run's date)
    assert run.finished_at is not None and run.members == len(chain)
    assert set(MemberRfm.objects.values_list("member", flat=True)) == {m.pk for m in chain}
    assert set(MemberRfm.objects.values_list("as_of", flat=True)) == {AS_OF}
    assert not RfmGroupChange.objects.exists()
    counted = sum(run.group_counts.values_list("members", flat=True))
    assert counted == len(chain) and run.group_counts.filter(store=store_a).exists()
    # the group sizes per store are the members' own, added up from the chunks' shares, which
    # the finish then empties
    members = Member.objects.values_list("home_store", "rfm__group")
    assert {(c.store_id, c.group): c.members for c in run.group_counts.all()} == Counter(members)
    assert not JobChunk.objects.filter(run=run.job_run_id).exclude(detail={}).exists()
    assert run_tables() == []
    job = run.job_run
    assert (job.status, job.step) == (JobStatus.FINISHED, "finish")
    assert job.detail["members"] == len(chain) and sum(job.detail["groups"].values()) == len(chain)


def test_a_member_first_grouped_after_a_run_is_a_change_from_blank(chain, store_b):
    # given
    rfm_regroup(business_date=DAY_BEFORE, chunk_size=4)
    newcomer = MemberFactory(home_store=store_b)
    buy(newcomer, days_ago(0))
    # when
    rfm_regroup(business_date=AS_OF, chunk_size=4)
    # then
    change = RfmGroupChange.objects.get(member=newcomer)
    assert (change.business_date, change.from_group, change.store_id) == (AS_OF, "", store_b.pk)
    assert change.to_group == MemberRfm.objects.get(member=newcomer).group


def test_the_run_swaps_in_a_member_rfm_table_as_the_migrations_made_it(chain):
    # given
    with connection.cursor() as cursor:
        before = connection.introspection.get_constraints(cursor, MemberRfm._meta.db_table)
    # when
    two_nights(chunk_size=4)
    # then: same primary key and index names; no run's own table left behind
    with connection.cursor() as cursor:
        after = connection.introspection.get_constraints(cursor, MemberRfm._meta.db_table)
        tables = connection.introspection.table_names(cursor)
    shape = lambda constraints: {  # noqa: E731
        name: (c["columns"], c["primary_key"], c["index"]) for name, c in constraints.items()
    }
    assert shape(after) == shape(before)
    assert [c["columns"] for c in after.values() if c["primary_key"]] == [["member_id"]]
    assert [t for t in tables if t.startswith("members_memberrfm_")] == []
    assert MemberRfm.objects.count() == len(chain)


def test_readers_see_the_last_finished_run_until_the_next_one_finishes(chain):
    # given: the first night finished; the second one's measure step half done
    rfm_regroup(business_date=DAY_BEFORE, chunk_size=4)
    live = rfm_snapshot()["member_rfm"]
    measure = []
    rfm_regroup(business_date=AS_OF, chunk_size=4, dispatch=measure.extend)
    assert len(measure) > 1
    for chunk_id in measure[: len(measure) // 2]:
        rfm_chunk_run(chunk_id=chunk_id, dispatch=measure.extend)
    # then
    assert rfm_snapshot()["member_rfm"] == live
    # when: the rest, and the chunks of the steps after measure, which they dispatch
    for chunk_id in chunks_drained(measure, start=len(measure) // 2):
        rfm_chunk_run(chunk_id=chunk_id, dispatch=measure.extend)
    # then
    assert set(MemberRfm.objects.values_list("as_of", flat=True)) == {AS_OF}


def test_next_run_records_only_the_members_whose_group_changed(store_a, store_b):
    # given: fixed thresholds; both members ordinary win-back as of the day before
    rfm_settings(r_method="fixed", r_fixed=Decimal(30), f_method="fixed", f_fixed=Decimal(2),
                 m_method="fixed", m_fixed=Decimal(500))  # fmt: skip
    returning = MemberFactory(home_store=store_b)
    buy(returning, days_ago(90))
    staying = MemberFactory(home_store=store_a)
    buy(staying, days_ago(80))
    rfm_regroup(business_date=DAY_BEFORE)
    buy(returning, days_ago(0), "800.00")
    # when
    rfm_regroup(business_date=AS_OF)
    # then
    changes = RfmGroupChange.objects.filter(business_date=AS_OF)
    assert list(changes.values_list("member", "from_group", "to_group", "store")) == [
        (returning.pk, G.ORDINARY_WINBACK, G.IMPORTANT_DEVELOPMENT, store_b.pk)
    ]
    assert MemberRfm.objects.get(member=staying).as_of == AS_OF


@pytest.mark.parametrize(
    "provisional",
    [
        Thresholds(r=Decimal(0), f=Decimal(0), m=Decimal(0)),
        Thresholds(r=Decimal(9999), f=Decimal(999), m=Decimal("999999.99")),
        Thresholds(r=None, f=None, m=None),
    ],
    ids=["low", "high", "none"],
)
def test_any_provisional_thresholds_settle_to_the_runs_groups(chain, monkeypatch, provisional):
    # given: both nights run with the provisional thresholds the opening takes, members
    # buying in between
    def nights():
        rfm_regroup(business_date=DAY_BEFORE, chunk_size=4)
        if not expected:
            for member in chain[::3]:
                buy(member, days_ago(0), "3000.00")
        return rfm_regroup(business_date=AS_OF, chunk_size=4)

    expected = {}
    nights()
    expected = rfm_snapshot()
    assert expected["changes"]
    rfm_results_delete()
    # when: their chunks write every group against far-off ones instead
    monkeypatch.setattr(runs, "provisional_thresholds", lambda run: provisional)
    run = nights()
    # then: the settle gives them the same groups, group changes and group counts
    assert run.job_run.detail["settled"] > 0
    assert rfm_snapshot() == expected
    members = Member.objects.values_list("home_store", "rfm__group")
    assert {(c.store_id, c.group): c.members for c in run.group_counts.all()} == Counter(members)


def test_rerun_of_a_finished_date_writes_nothing(chain):
    # given
    rfm_regroup(business_date=AS_OF, chunk_size=4)
    before = rfm_snapshot()
    jobs_before = list(JobChunk.objects.values_list("pk", "status", "attempts", "finished_at"))
    # when
    with CaptureQueriesContext(connection) as queries:
        run = rfm_regroup(business_date=AS_OF, chunk_size=3)
    # then
    assert run.business_date == AS_OF
    assert writes(queries.captured_queries) == []
    assert rfm_snapshot() == before
    assert list(JobChunk.objects.values_list("pk", "status", "attempts", "finished_at")) == (
        jobs_before
    )


def test_an_earlier_date_than_the_latest_run_is_refused(chain):
    rfm_regroup(business_date=AS_OF)
    before = rfm_snapshot()
    with pytest.raises(RuleViolation) as refused:
        rfm_regroup(business_date=DAY_BEFORE)
    assert refused.value.code == "rfm_date_not_monotone"
    assert "2026-06-30" in refused.value.message and "2026-06-29" in refused.value.message
    assert rfm_snapshot() == before


def test_a_date_in_the_future_is_refused(chain):
    with pytest.raises(RuleViolation) as refused:
        rfm_regroup(business_date=timezone.localdate() + timedelta(days=1))
    assert refused.value.code == "rfm_date_in_future"
    assert not RfmRun.objects.exists()


# --- Interrupted runs resume and end as a clean run would ---------------------------------------


class FailOnce:
    """Wraps a step function of the engine; raises on its `at`-th call, once."""

    def __init__(self, function, at=1):
        self.function, self.at, self.calls = function, at, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise RuntimeError("worker lost")
        return self.function(*args, **kwargs)


@pytest.mark.parametrize(
    ("step_function", "at"),
    [
        ("measure_chunk", 2),  # during measure
        ("thresholds_compute", 1),  # measure done, the thresholds chunk rolled back
        ("next_table_key", 1),  # the thresholds taken, the key chunk rolled back
        ("settle", 1),  # the thresholds' chunk rolled back with them
        ("group_counts_write", 1),  # groups settled, the thresholds' chunk rolled back
        ("_statistics_take", 1),  # the key built, the statistics' chunk rolled back
        ("next_table_swap", 1),  # every prepare chunk done, the finish rolled back
    ],
)
def test_interrupted_run_resumes_and_ends_as_a_clean_run(chain, monkeypatch, step_function, at):
    # given: the day before regrouped; today's run interrupted once
    rfm_regroup(business_date=DAY_BEFORE, chunk_size=4)
    monkeypatch.setattr(runs, step_function, FailOnce(getattr(runs, step_function), at=at))
    with pytest.raises(RuntimeError):
        rfm_regroup(business_date=AS_OF, chunk_size=4)
    interrupted = RfmRun.objects.get(business_date=AS_OF)
    assert interrupted.finished_at is None
    assert interrupted.job_run.status == JobStatus.FAILED
    assert "worker lost" in interrupted.job_run.error
    # when: re-run for the same date
    resumed = rfm_regroup(business_date=AS_OF, chunk_size=4)
    after_resume = rfm_snapshot()
    # then: the same as a clean run of both nights on the same data
    assert resumed.finished_at is not None and resumed.job_run.status == JobStatus.FINISHED
    rfm_results_delete()
    two_nights(chunk_size=4)
    assert after_resume == rfm_snapshot()


@pytest.mark.postgres
def test_one_pass_medians_equal_the_middle_values_in_order(store_a, store_b):
    # given: a run finished (20, then 21 active members)
    for members, seed in ((31, 4), (1, 5)):
        population([store_a, store_b], members=members, seed=seed)
        run = rfm_regroup(business_date=AS_OF, chunk_size=7)
        count = run.active_members
        source = thresholds.Source(
            f"SELECT recency_days, frequency, monetary FROM {MemberRfm._meta.db_table}", {}
        )
        # when: by percentile_cont, and by percentile_disc with the active members known
        axes = list(thresholds.AXES)
        one_pass = thresholds._one_pass(source, [], axes)[2]
        known = thresholds._one_pass(source, [], axes, count)[2]
        miscounted = thresholds._one_pass(source, [], axes, count + 1)[2]
        # then
        assert one_pass == {a.name: thresholds._median(source, a, count) for a in axes}
        assert known == one_pass and miscounted == one_pass
        assert one_pass == {"r": run.r_threshold, "f": run.f_threshold, "m": run.m_threshold}
        rfm_results_delete()


def test_resume_skips_finished_chunks(chain, monkeypatch):
    monkeypatch.setattr(runs, "measure_chunk", FailOnce(runs.measure_chunk, at=2))
    with pytest.raises(RuntimeError):
        rfm_regroup(business_date=AS_OF, chunk_size=4)
    finished_before = set(
        JobChunk.objects.filter(status=JobStatus.FINISHED).values_list("pk", "attempts")
    )
    rfm_regroup(business_date=AS_OF, chunk_size=4)
    attempts = dict(JobChunk.objects.values_list("pk", "attempts"))
    assert finished_before and all(attempts[pk] == n for pk, n in finished_before)
    assert JobChunk.objects.filter(attempts=2).count() == 1  # the chunk that failed, redone


def test_chunk_sizes_give_identical_results(chain):
    results = []
    for size in (1, 2, 10_000):
        rfm_results_delete()
        two_nights(chunk_size=size)
        results.append(rfm_snapshot())
    assert results[0] == results[1] == results[2]
    assert len(results[0]["member_rfm"]) == len(chain)


def test_chunk_queries_do_not_grow_with_its_members(store_a, store_b):
    # given
    def queries_per_chunk(business_date):
        measure = []
        rfm_regroup(business_date=business_date, dispatch=measure.extend)
        with CaptureQueriesContext(connection) as measuring:  # the chunk and the steps after
            for chunk_id in chunks_drained(measure):
                rfm_chunk_run(chunk_id=chunk_id, dispatch=measure.extend)
        return len(measuring)

    people = population([store_a, store_b], members=3, seed=1)
    rfm_regroup(business_date=DAY_BEFORE - timedelta(days=1))  # changes are recorded from now
    buy(people[0], days_ago(1))  # each night measures some members again
    few = queries_per_chunk(DAY_BEFORE)
    population([store_a, store_b], members=40, seed=2)
    # when
    many = queries_per_chunk(AS_OF)
    # then: one chunk each time, 43 members in the second
    assert MemberRfm.objects.filter(as_of=AS_OF).count() == 43
    assert many == few


# --- Tasks, command, schedule, demo -------------------------------------------------------------


def test_start_task_runs_the_chunks_through_celery(chain, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.regroup_start.delay(AS_OF.isoformat())
    via_celery = rfm_snapshot()
    rfm_results_delete()
    rfm_regroup(business_date=AS_OF)
    assert via_celery == rfm_snapshot() and via_celery["finished"] == [(AS_OF,)]


def test_nightly_task_regroups_as_of_yesterday(chain, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.regroup_nightly.delay()
    run = RfmRun.objects.get()
    assert run.business_date == timezone.localdate() - timedelta(days=1)
    assert run.finished_at is not None


def test_start_task_logs_a_refused_date_instead_of_failing(chain, caplog):
    rfm_regroup(business_date=AS_OF)
    tasks.regroup_start.delay(DAY_BEFORE.isoformat())
    assert "refused" in caplog.text
    assert not RfmRun.objects.filter(business_date=DAY_BEFORE).exists()


def test_command_regroups_and_prints_a_chinese_summary(chain):
    out = StringIO()
    call_command("regroup", "--as-of", "2026-06-30", "--chunk-size", "5", stdout=out)
    run = RfmRun.objects.get(business_date=AS_OF)
    assert run.finished_at is not None
    text = out.getvalue()
    assert "RFM 分群完成：统计日期 2026-06-30" in text and "阈值：R ≤" in text
    assert f"会员 {len(chain)} 人" in text and "重要价值" in text and "未消费" in text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--as-of", "2026-13-01"], "统计日期“2026-13-01”无效"),
        (["--as-of", "昨天"], "YYYY-MM-DD"),
        (["--as-of", "2026-06-30", "--chunk-size", "0"], "分片大小必须为正整数"),
        (["--as-of", "2999-01-01"], "晚于今天"),
    ],
)
def test_command_refuses_bad_input_in_chinese(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("regroup", *arguments, stdout=StringIO())
    assert not RfmRun.objects.exists()


def test_command_says_when_the_date_was_already_regrouped(chain):
    call_command("regroup", "--as-of", "2026-06-30", stdout=StringIO())
    out = StringIO()
    call_command("regroup", "--as-of", "2026-06-30", stdout=out)
    assert "统计日期 2026-06-30 已完成分群，本次未做改动。" in out.getvalue()
    assert RfmRun.objects.count() == 1


def test_command_refuses_an_earlier_date(chain):
    call_command("regroup", "--as-of", "2026-06-30", stdout=StringIO())
    with pytest.raises(CommandError, match="不能再按更早的日期"):
        call_command("regroup", "--as-of", "2026-06-01", stdout=StringIO())


def test_nightly_schedules_are_data_in_shanghai_time():
    regroup = PeriodicTask.objects.get(name="会员RFM重新分群")
    assert regroup.task == "members.regroup_nightly" and regroup.enabled
    assert (regroup.crontab.hour, regroup.crontab.minute) == ("2", "0")
    assert str(regroup.crontab.timezone) == "Asia/Shanghai"
    segments = PeriodicTask.objects.get(name="分组每晚计算")
    assert segments.task == "members.segments_materialise_nightly"
    assert (segments.crontab.hour, segments.crontab.minute) == ("3", "30")
    assert str(segments.crontab.timezone) == "Asia/Shanghai"


def test_schedule_migration_is_idempotent():
    migration = import_module("jobs.migrations.0002_nightly_schedules")
    migration.schedules_create(django_apps, None)
    assert PeriodicTask.objects.filter(name__in=["会员RFM重新分群", "分组每晚计算"]).count() == 2


def test_seed_demo_ends_with_a_regroup_for_yesterday():
    messages = []
    seed_demo(members=60, seed=5, today=AS_OF, report=messages.append)
    run = RfmRun.objects.get()
    assert run.business_date == DAY_BEFORE and run.finished_at is not None
    assert MemberRfm.objects.count() == Member.objects.count() == 60
    assert any("RFM 分群完成" in message for message in messages)
    assert not seed_demo(members=60, seed=5, today=AS_OF, report=messages.append)
    assert RfmRun.objects.count() == 1


def test_deleting_a_member_still_removes_their_rfm_rows(chain, store_a):
    # given: the RFM rows have no database-level foreign key (members 0003)
    rfm_regroup(business_date=DAY_BEFORE)
    leaving = MemberFactory(home_store=store_a)  # first grouped on the second night
    rfm_regroup(business_date=AS_OF)
    assert RfmGroupChange.objects.filter(member=leaving).exists()
    assert MemberRfm.objects.filter(member=leaving).exists()
    # when
    leaving.delete()
    # then
    assert not MemberRfm.objects.filter(member_id=leaving.pk).exists()
    assert not RfmGroupChange.objects.filter(member_id=leaving.pk).exists()


@pytest.mark.postgres
def test_the_finished_run_leaves_fresh_planner_statistics_for_segments(chain):
    def planner_rows() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'members_memberrfm'")
            return cursor.fetchone()[0]

    # when
    with CaptureQueriesContext(connection) as queries:
        rfm_regroup(business_date=AS_OF, chunk_size=4)
    # then: ANALYZE counted the rows the run wrote (another test may have left the same figure
    # in pg_class, so the statement itself is checked too)
    assert any(q["sql"].startswith('ANALYZE "members_memberrfm_next_') for q in queries)
    assert planner_rows() == MemberRfm.objects.count() == len(chain)
