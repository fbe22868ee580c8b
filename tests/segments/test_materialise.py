"""Materialisation and rule tags (INV-JOB-RERUN): set-based, re-runs change nothing, an
interrupted run resumes to the clean result, sizes per date, the nightly task waits for RFM."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.core.management import CommandError, call_command
from django.utils import timezone

from jobs.models import JobRun, JobStatus
from members import tasks
from members.models import MemberRfm, MemberTag, RfmGroup, RfmRun, SegmentMember, SegmentSize
from members.segments import materialise
from members.segments.materialise import segment_materialise, tag_rule_recompute
from tests.members.factories import MemberFactory, MemberRfmFactory, TagFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

D = date(2026, 5, 19)
VALUE = {"op": "and", "items": [{"type": "rfm_group", "groups": ["important_value"]}]}


def members_of(segment) -> set[int]:
    return set(SegmentMember.objects.filter(segment=segment).values_list("member_id", flat=True))


@pytest.fixture
def population(store_a, store_b):
    """Ten members over two stores; every other one is important value (spent 100 each)."""
    people = []
    for i in range(10):
        group = RfmGroup.IMPORTANT_VALUE if i % 2 == 0 else RfmGroup.ORDINARY_WINBACK
        store = store_a if i < 6 else store_b
        member = MemberFactory(home_store=store)
        MemberRfmFactory(member=member, group=group, total_spent=Decimal("100.00"))
        people.append(member)
    return people


def value_ids(people) -> set[int]:
    return {member.pk for member in people if member.rfm.group == RfmGroup.IMPORTANT_VALUE}


def test_materialise_writes_members_size_and_figures(population):
    segment = SegmentFactory(rule=VALUE)
    run = segment_materialise(segment=segment, business_date=D, chunk_size=3)
    segment.refresh_from_db()
    assert members_of(segment) == value_ids(population)
    assert run.status == JobStatus.FINISHED and run.chunk_total == 4
    size = SegmentSize.objects.get(segment=segment, business_date=D)
    assert (size.member_count, size.total_spent) == (5, Decimal("500.00"))
    assert (segment.member_count, segment.total_spent) == (5, Decimal("500.00"))
    assert segment.materialised_at is not None


def test_a_store_sub_segment_holds_only_its_store(population, store_a):
    segment = SegmentFactory(rule=VALUE, store=store_a)
    segment_materialise(segment=segment, business_date=D, chunk_size=3)
    assert members_of(segment) == {m.pk for m in population[:6] if m.pk in value_ids(population)}


def test_stale_rows_go_and_new_ones_come(population):
    segment = SegmentFactory(rule=VALUE)
    segment_materialise(segment=segment, business_date=D, chunk_size=4)
    leaver, joiner = population[0], population[1]
    MemberRfm.objects.filter(member=leaver).update(group=RfmGroup.ORDINARY_WINBACK)
    MemberRfm.objects.filter(member=joiner).update(group=RfmGroup.IMPORTANT_VALUE)
    segment_materialise(segment=segment, business_date=D + timedelta(days=1), chunk_size=4)
    expected = value_ids(population) - {leaver.pk} | {joiner.pk}
    assert members_of(segment) == expected


def test_rerun_of_a_finished_date_changes_nothing(population):
    segment = SegmentFactory(rule=VALUE)
    segment_materialise(segment=segment, business_date=D, chunk_size=3)
    rows_before = list(SegmentMember.objects.filter(segment=segment).values_list("pk", "member_id"))
    size_before = SegmentSize.objects.get(segment=segment)
    run_before = JobRun.objects.get(subject=str(segment.pk))
    # Even if the figures moved since, the finished date is not recomputed.
    MemberRfm.objects.update(group=RfmGroup.IMPORTANT_VALUE)
    assert segment_materialise(segment=segment, business_date=D, chunk_size=3) is None
    rows_after = list(SegmentMember.objects.filter(segment=segment).values_list("pk", "member_id"))
    assert rows_after == rows_before
    size_after = SegmentSize.objects.get(segment=segment)
    assert (size_after.member_count, size_after.created_at) == (5, size_before.created_at)
    run_after = JobRun.objects.get(pk=run_before.pk)
    assert (run_after.finished_at, run_after.chunk_done) == (run_before.finished_at, 4)


def test_an_interrupted_run_resumes_to_the_clean_result(population, monkeypatch):
    clean = SegmentFactory(rule=VALUE)
    segment_materialise(segment=clean, business_date=D, chunk_size=3)

    broken = SegmentFactory(rule=VALUE)
    real_sync = materialise._sync_range
    calls = {"n": 0}

    def dies_in_the_third_chunk(membership, matching, lo, hi):
        calls["n"] += 1
        written = real_sync(membership, matching, lo, hi)
        if calls["n"] == 3:
            raise RuntimeError("worker killed")  # after writing: the rollback must undo it
        return written

    monkeypatch.setattr(materialise, "_sync_range", dies_in_the_third_chunk)
    with pytest.raises(RuntimeError):
        segment_materialise(segment=broken, business_date=D, chunk_size=3)
    run = JobRun.objects.get(subject=str(broken.pk))
    assert run.status == JobStatus.RUNNING and run.chunk_done == 2
    assert not SegmentSize.objects.filter(segment=broken).exists()

    segment_materialise(segment=broken, business_date=D, chunk_size=3)
    run.refresh_from_db()
    assert run.status == JobStatus.FINISHED and run.chunk_done == run.chunk_total == 4
    assert members_of(broken) == members_of(clean) == value_ids(population)
    assert calls["n"] == 5  # two chunks were not redone
    assert SegmentSize.objects.get(segment=broken).member_count == 5


def test_on_demand_runs_again_the_same_day(population):
    segment = SegmentFactory(rule=VALUE)
    today = timezone.localdate()
    segment_materialise(segment=segment, business_date=today, on_demand=True)
    segment.rule = {"op": "and", "items": []}
    segment.save()
    run = segment_materialise(segment=segment, business_date=today, on_demand=True)
    assert run.status == JobStatus.FINISHED
    assert len(members_of(segment)) == 10
    assert SegmentSize.objects.get(segment=segment, business_date=today).member_count == 10


def test_size_history_keeps_one_row_per_date(population):
    segment = SegmentFactory(rule=VALUE)
    segment_materialise(segment=segment, business_date=D)
    MemberRfm.objects.update(group=RfmGroup.IMPORTANT_VALUE)
    segment_materialise(segment=segment, business_date=D + timedelta(days=1))
    # An older date materialised late does not overwrite the segment's latest figures.
    MemberRfm.objects.update(group=RfmGroup.ORDINARY_WINBACK)
    segment_materialise(segment=segment, business_date=D - timedelta(days=1))
    sizes = list(segment.sizes.order_by("business_date").values_list("member_count", flat=True))
    assert sizes == [0, 5, 10]
    segment.refresh_from_db()
    assert segment.member_count == 10


def test_rule_tags_are_added_and_removed(population):
    segment = SegmentFactory(rule=VALUE)
    tag = TagFactory(rule_segment=segment)
    wrongly_tagged = population[1]  # ordinary win-back
    MemberTag.objects.create(member=wrongly_tagged, tag=tag)
    kept = population[0]
    MemberTag.objects.create(member=kept, tag=tag)
    untouched_tag = TagFactory()
    MemberTag.objects.create(member=wrongly_tagged, tag=untouched_tag)

    tag_rule_recompute(tag=tag, business_date=D, chunk_size=3)

    tagged = set(MemberTag.objects.filter(tag=tag).values_list("member_id", flat=True))
    assert tagged == value_ids(population)
    assert MemberTag.objects.filter(member=wrongly_tagged, tag=untouched_tag).exists()
    tag.refresh_from_db()
    assert tag.recomputed_at is not None
    assert tag_rule_recompute(tag=tag, business_date=D) is None  # finished date: no-op


def test_nightly_task_retries_until_the_regroup_has_finished(population, monkeypatch):
    monkeypatch.setattr(tasks.segments_materialise_nightly, "max_retries", 0)
    segment = SegmentFactory(rule=VALUE)
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(Retry):
        tasks.segments_materialise_nightly.run()
    assert not SegmentMember.objects.exists()

    RfmRun.objects.create(
        business_date=yesterday,
        window_days=365,
        r_method="median",
        f_method="median",
        m_method="median",
        finished_at=timezone.now(),
    )
    tag = TagFactory(rule_segment=segment)
    assert tasks.segments_materialise_nightly.run() == yesterday.isoformat()
    assert members_of(segment) == value_ids(population)
    assert SegmentSize.objects.get(segment=segment).business_date == yesterday
    assert MemberTag.objects.filter(tag=tag).count() == 5


def test_command_materialises_for_a_date(population):
    segment = SegmentFactory(rule=VALUE)
    call_command("materialise_segments", "--date", "2026-05-19", "--segment", str(segment.pk))
    assert SegmentSize.objects.get(segment=segment).business_date == D


@pytest.mark.django_db
def test_command_refuses_a_bad_date_in_chinese_and_writes_nothing():
    segment = SegmentFactory(rule=VALUE)

    with pytest.raises(CommandError, match="统计日期“2026-02-30”无效"):
        call_command("materialise_segments", "--date", "2026-02-30", "--segment", str(segment.pk))

    assert not SegmentSize.objects.exists() and not JobRun.objects.exists()
