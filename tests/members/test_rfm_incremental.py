"""A regroup from a base (the last finished run): only the members whose counted orders changed
are measured again, and the results equal a run that measures everyone anew (members.rfm)."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from jobs.models import JobRun, JobStatus
from members.errors import RuleViolation
from members.models import (
    MemberOrderChange,
    MemberRfm,
    Order,
    RfmGroupChange,
    RfmGroupCount,
    RfmRun,
)
from members.rfm import rfm_chunk_run, rfm_regroup, runs
from tests.members.factories import MemberFactory
from tests.members.rfm_helpers import (
    AS_OF,
    buy,
    days_ago,
    local,
    population,
    rfm_results_delete,
    rfm_settings,
    rfm_snapshot,
    run_tables,
)

pytestmark = pytest.mark.django_db

WINDOW = 365
FIRST = AS_OF - timedelta(days=7)


def results() -> dict:
    """What a run's date shows: every member's row, the thresholds, the group sizes."""
    snapshot = rfm_snapshot()
    last = max(day for (day,) in snapshot["finished"])
    return {
        "member_rfm": snapshot["member_rfm"],
        "runs": [run for run in snapshot["runs"] if run[0] == last],
        "counts": [count for count in snapshot["counts"] if count[0] == last],
    }


def anew_results(day) -> dict:
    rfm_results_delete()
    rfm_regroup(business_date=day, chunk_size=4, anew=True)
    return results()


def changes(people, day, store_b):
    """Every kind of change an order can go through between two runs, as of `day`."""
    a, b, c, d, e, f, g, h = people[:8]
    buy(a, local(day, 23, 30), "88.00")  # bought late on the day (Shanghai time)
    buy(a, local(day + timedelta(days=1), 0, 30), "99.00")  # just after it: counts next time
    orders = lambda member: Order.objects.filter(member=member).order_by("pk")  # noqa: E731
    if first := orders(b).first():
        orders(b).filter(pk=first.pk).update(refunded_amount=F("amount"))  # refunded in full
    if first := orders(c).first():
        orders(c).filter(pk=first.pk).update(refunded_amount=Decimal("1.00"))  # in part
    if first := orders(d).first():
        orders(d).filter(pk=first.pk).update(member=e)  # moved to another member
    if first := orders(f).first():
        orders(f).filter(pk=first.pk).delete()
    g.home_store = store_b  # moved to another store: the sizes per store follow
    g.save()
    buy(h, local(day - timedelta(days=WINDOW - 1), 9), "500.00")  # the window's first day
    newcomer = MemberFactory(home_store=store_b)
    buy(newcomer, local(day, 10), "1200.00")
    MemberFactory(home_store=store_b)  # joined, never bought


@pytest.mark.parametrize("gap", [1, 3])
def test_nights_from_a_base_end_as_a_run_measuring_everyone_anew(store_a, store_b, gap):
    # given: a first run; then changes before each of three more nights
    people = population([store_a, store_b], members=24, seed=5)
    rfm_regroup(business_date=FIRST, chunk_size=4)
    nights = [FIRST + timedelta(days=gap * n) for n in (1, 2, 3)]
    for night in nights:
        changes(people[(nights.index(night) % 3) * 8 :], night, store_b)
        # when
        run = rfm_regroup(business_date=night, chunk_size=4)
        # then
        assert run.base.business_date == night - timedelta(days=gap)
    assert MemberOrderChange.objects.count() == 0
    assert results() == anew_results(nights[-1])


def test_an_order_leaving_the_window_is_measured_again(store_a):
    # given: one order on the window's first day, measured from a base the next night
    member = MemberFactory(home_store=store_a)
    buy(member, days_ago(WINDOW - 1, as_of=FIRST), "300.00")
    buy(member, days_ago(400, as_of=FIRST), "50.00")
    rfm_regroup(business_date=FIRST)
    assert MemberRfm.objects.get(member=member).frequency == 1
    # when
    run = rfm_regroup(business_date=FIRST + timedelta(days=1))
    # then
    row = MemberRfm.objects.get(member=member)
    assert run.base_id and (row.frequency, row.monetary, row.order_count) == (0, 0, 2)


def test_members_not_measured_again_keep_their_figures_with_r_from_the_new_date(store_a):
    member = MemberFactory(home_store=store_a)
    buy(member, days_ago(10, as_of=FIRST), "300.00")
    rfm_regroup(business_date=FIRST)
    # when
    run = rfm_regroup(business_date=FIRST + timedelta(days=4))
    # then
    assert run.job_run.detail["measured"] == 0
    row = MemberRfm.objects.get(member=member)
    assert (row.recency_days, row.frequency, row.monetary) == (14, 1, Decimal("300.00"))


def test_a_run_measures_everyone_anew_when_it_cannot_build_on_the_last(store_a, store_b):
    population([store_a, store_b], members=6, seed=2)
    first = rfm_regroup(business_date=FIRST)
    assert first.base is None
    # asked to
    assert rfm_regroup(business_date=FIRST + timedelta(days=1), anew=True).base is None
    # another run unfinished (its chunks take the change log's rows)
    rfm_regroup(business_date=FIRST + timedelta(days=2), dispatch=lambda ids: None)
    assert rfm_regroup(business_date=FIRST + timedelta(days=3)).base is None
    # another window than the last run's
    rfm_settings(window_days=180)
    assert rfm_regroup(business_date=FIRST + timedelta(days=4)).base is None
    rfm_settings(window_days=WINDOW)
    # a last run from before the change log
    RfmRun.objects.update(change_logged=False)
    assert rfm_regroup(business_date=FIRST + timedelta(days=5)).base is None
    # and otherwise builds on it
    assert rfm_regroup(business_date=FIRST + timedelta(days=6)).base.business_date == (
        FIRST + timedelta(days=5)
    )


def test_a_run_overtaken_mid_measure_stops_with_a_chinese_message(store_a, store_b):
    # given: a run from a base, half measured; then a later date's run finishes first
    population([store_a, store_b], members=6, seed=2)
    rfm_regroup(business_date=FIRST)
    measure = []
    rfm_regroup(business_date=AS_OF - timedelta(days=1), chunk_size=2, dispatch=measure.extend)
    assert len(measure) > 1
    rfm_chunk_run(chunk_id=measure[0], dispatch=measure.extend)
    later = rfm_regroup(business_date=AS_OF)
    assert later.base is None and later.finished_at
    # when / then
    with pytest.raises(RuleViolation, match="不再继续"):
        rfm_chunk_run(chunk_id=measure[1], dispatch=runs.run_inline)
    assert MemberRfm.objects.first().as_of == AS_OF


def test_a_run_overtaken_before_its_finish_is_cleared_and_stops(store_a, store_b):
    # given: a run from a base, measured (its chunks recorded group changes), its thresholds,
    # group counts and key taken; then a later date's run opens
    people = population([store_a, store_b], members=6, seed=2)
    rfm_regroup(business_date=FIRST)
    overtaken = AS_OF - timedelta(days=1)
    for member in people:
        buy(member, local(overtaken, 9), "900.00")
    measure, prepare = [], []
    run = rfm_regroup(business_date=overtaken, dispatch=measure.extend)
    for chunk_id in measure:
        rfm_chunk_run(chunk_id=chunk_id, dispatch=prepare.extend)
    assert len(prepare) == 3
    for chunk_id in prepare[:2]:
        rfm_chunk_run(chunk_id=chunk_id, dispatch=runs.run_inline)
    assert RfmGroupChange.objects.filter(business_date=overtaken).exists()
    assert RfmGroupCount.objects.filter(run=run).exists()
    assert not RfmGroupCount.objects.finished().filter(run=run).exists()
    assert run_tables() == [f"members_memberrfm_next_{run.pk}"]
    live = rfm_snapshot()["member_rfm"]
    later = rfm_regroup(business_date=AS_OF, dispatch=lambda ids: None)
    # then: its group changes (which the migration matrix would read), its group counts and its
    # table are gone
    assert not RfmGroupChange.objects.filter(business_date=overtaken).exists()
    assert not RfmGroupCount.objects.filter(run=run).exists()
    assert run_tables() == [f"members_memberrfm_next_{later.pk}"]
    # and its job run shows it failed, saying which date took over
    job = JobRun.objects.get(pk=run.job_run_id)
    assert job.status == JobStatus.FAILED
    assert f"{AS_OF} 的分群已开始" in job.error and str(overtaken) in job.error
    # and its last chunk stops, with a message, and swaps nothing in
    with pytest.raises(RuleViolation, match="不再继续"):
        rfm_chunk_run(chunk_id=prepare[2], dispatch=runs.run_inline)
    assert not RfmRun.objects.get(business_date=overtaken).finished_at
    assert rfm_snapshot()["member_rfm"] == live


def test_a_run_left_behind_by_a_later_date_takes_no_more_change_log_rows(store_a, store_b):
    # given: a run opened, not measured; a later date's run opens
    people = population([store_a, store_b], members=6, seed=2)
    rfm_regroup(business_date=FIRST)
    measure = []
    rfm_regroup(business_date=AS_OF - timedelta(days=1), dispatch=measure.extend)
    rfm_regroup(business_date=AS_OF, dispatch=lambda ids: None)
    buy(people[0], local(AS_OF, 9))
    # when / then
    with pytest.raises(RuleViolation, match="不再继续"):
        rfm_chunk_run(chunk_id=measure[0], dispatch=runs.run_inline)
    assert logged() == [people[0].pk]


def test_the_command_says_which_members_it_measured(store_a, store_b):
    people = population([store_a, store_b], members=6, seed=2)
    out = StringIO()
    call_command("regroup", "--as-of", FIRST.isoformat(), stdout=out)
    assert "全量计算" in out.getvalue()
    buy(people[0], local(AS_OF, 9))
    out = StringIO()
    call_command("regroup", "--as-of", AS_OF.isoformat(), stdout=out)
    assert f"增量计算：以 {FIRST} 的分群为基准，1 位" in out.getvalue()
    out = StringIO()
    call_command("regroup", "--as-of", (AS_OF + timedelta(days=1)).isoformat(), "--anew",
                 stdout=out)  # fmt: skip
    assert "全量计算" in out.getvalue()


# --- The order change log (triggers on members_order) --------------------------------------------


def logged() -> list[int]:
    return sorted(MemberOrderChange.objects.values_list("member_id", flat=True))


def test_every_write_of_a_counted_figure_logs_its_members(store_a):
    one, two = MemberFactory(home_store=store_a), MemberFactory(home_store=store_a)
    order = buy(one, local(AS_OF, 9))
    assert logged() == [one.pk]
    MemberOrderChange.objects.all().delete()
    for change in ({"amount": Decimal("5.00")}, {"refunded_amount": Decimal("1.00")},
                   {"paid_at": local(AS_OF, 10)}):  # fmt: skip
        Order.objects.filter(pk=order.pk).update(**change)
        assert logged() == [one.pk]
        MemberOrderChange.objects.all().delete()
    Order.objects.filter(pk=order.pk).update(member=two)
    assert logged() == [one.pk, two.pk]
    MemberOrderChange.objects.all().delete()
    Order.objects.filter(pk=order.pk).delete()
    assert logged() == [two.pk]


def test_writes_that_change_no_counted_figure_log_nothing(store_a):
    member = MemberFactory(home_store=store_a)
    order = buy(member, local(AS_OF, 9))
    MemberOrderChange.objects.all().delete()
    Order.objects.filter(pk=order.pk).update(channel="livestream", amount=F("amount"))
    order.save()  # every column written, none changed
    assert logged() == []


@pytest.mark.postgres
def test_a_truncate_of_the_orders_has_the_next_run_measure_their_members_again(store_a):
    # given: a run counting two members' orders, a third member with none
    buyers = [MemberFactory(home_store=store_a) for _ in range(2)]
    MemberFactory(home_store=store_a)
    for member in buyers:
        buy(member, local(FIRST, 9))
    rfm_regroup(business_date=FIRST, chunk_size=4)
    # when: the orders are truncated (no row trigger fires), and the next night is built on it
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction has checks due
        cursor.execute("TRUNCATE members_order CASCADE")
    assert logged() == sorted(member.pk for member in buyers)
    rfm_regroup(business_date=AS_OF, chunk_size=4)
    # then: it ends as a run measuring everyone anew: nobody has an order left
    assert RfmRun.objects.get(business_date=AS_OF).base is not None
    built = results()
    assert set(MemberRfm.objects.values_list("group", flat=True)) == {"no_purchase"}
    assert anew_results(AS_OF) == built


def test_bulk_inserts_log_each_member(store_a):
    members = [MemberFactory(home_store=store_a) for _ in range(3)]
    orders = [
        Order(
            member=member,
            store=store_a,
            credited_store=store_a,
            order_no=f"B{n}",
            paid_at=local(AS_OF, 9),
            amount=Decimal("10.00"),
        )  # fmt: skip
        for n, member in enumerate(members * 2)
    ]
    Order.objects.bulk_create(orders)
    assert sorted(set(logged())) == sorted(member.pk for member in members)
