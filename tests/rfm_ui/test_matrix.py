"""The group migration matrix against a brute-force, member-by-member computation."""

import random
from collections import Counter
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from members.errors import RuleViolation
from members.models import RfmGroup, RfmGroupCount
from members.selectors_rfm import (
    NEW,
    default_migration_dates,
    finished_run_dates,
    group_migration_matrix,
    group_sizes_by_store,
)
from tests.members.factories import MemberFactory, RegionManagerFactory, RfmRunFactory, StoreFactory
from tests.rfm_ui.factories import build_history

pytestmark = pytest.mark.django_db

D1, D2, D3 = date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)
DATES = [D1, D2, D3]
G = RfmGroup
GROUPS = list(G.values)


def group_at(groups: list, day: date):
    """A member's group at `day`: the latest one they had at a run on or before it."""
    known = [g for d, g in zip(DATES, groups, strict=True) if d <= day and g is not None]
    return known[-1] if known else None


def brute_force(timeline: dict, x: date, y: date, stores=None) -> Counter:
    cells = Counter()
    for member, groups in timeline.items():
        if stores is not None and member.home_store_id not in stores:
            continue
        at_x, at_y = group_at(groups, x), group_at(groups, y)
        if at_y is not None:
            cells[(at_x or NEW, at_y)] += 1
    return cells


def as_cells(matrix) -> Counter:
    return Counter(
        {
            (row.key, key): cell.count
            for row in matrix.rows
            for (key, _label), cell in zip(matrix.columns, row.cells, strict=True)
            if cell.count
        }
    )


@pytest.fixture
def stores(store_a, region):
    """A and C in one region (different store groups), B elsewhere."""
    return {"A": store_a, "B": StoreFactory(code="B001"), "C": StoreFactory(region=region)}


HAND = {
    # name: (store, groups at D1, D2, D3)
    "stays": ("A", [G.IMPORTANT_VALUE] * 3),
    "slips": ("A", [G.IMPORTANT_VALUE, G.IMPORTANT_RETENTION, G.IMPORTANT_RETENTION]),
    "slips late": ("A", [G.IMPORTANT_VALUE, G.IMPORTANT_VALUE, G.IMPORTANT_RETENTION]),
    "comes back": ("A", [G.IMPORTANT_VALUE, G.ORDINARY_VALUE, G.IMPORTANT_VALUE]),
    "two steps": ("A", [G.ORDINARY_DEVELOPMENT, G.ORDINARY_RETENTION, G.ORDINARY_WINBACK]),
    "new at D2": ("A", [None, G.NO_PURCHASE, G.ORDINARY_DEVELOPMENT]),
    "new at D3": ("A", [None, None, G.IMPORTANT_DEVELOPMENT]),
    "never grouped": ("A", [None, None, None]),
    "b slips": ("B", [G.IMPORTANT_VALUE, G.IMPORTANT_RETENTION, G.IMPORTANT_RETENTION]),
    "b stays": ("B", [G.ORDINARY_WINBACK] * 3),
    "c slips": ("C", [G.IMPORTANT_VALUE, G.IMPORTANT_WINBACK, G.IMPORTANT_WINBACK]),
}


def random_timelines(stores, count=60, seed=20260601):
    rng = random.Random(seed)
    result = {}
    for n in range(count):
        store = stores["ABC"[n % 3]]
        start = rng.randrange(3)
        groups = [None] * start + [rng.choice(GROUPS) for _ in range(3 - start)]
        if rng.random() < 0.3 and start < 2:  # some members keep their group for a while
            groups[start + 1] = groups[start]
        result[MemberFactory(home_store=store)] = groups
    return result


@pytest.fixture
def timeline(stores):
    hand = {
        MemberFactory(home_store=stores[store], name=name): groups
        for name, (store, groups) in HAND.items()
    }
    timeline = {**hand, **random_timelines(stores)}
    build_history(timeline, DATES)
    return timeline


@pytest.mark.parametrize(("x", "y"), [(D1, D2), (D1, D3), (D2, D3)])
def test_hq_matrix_equals_the_member_by_member_count(hq_admin, timeline, x, y):
    matrix = group_migration_matrix(user=hq_admin, date_from=x, date_to=y)

    assert as_cells(matrix) == brute_force(timeline, x, y)
    assert matrix.total == sum(brute_force(timeline, x, y).values())


@pytest.mark.parametrize(("x", "y"), [(D1, D3), (D2, D3)])
@pytest.mark.parametrize("letter", ["A", "B", "C"])
def test_store_matrix_equals_the_count_over_its_own_members(
    hq_admin, timeline, stores, letter, x, y
):
    store = stores[letter]

    matrix = group_migration_matrix(user=hq_admin, date_from=x, date_to=y, store=store)

    assert as_cells(matrix) == brute_force(timeline, x, y, stores={store.pk})


def test_hand_built_cells_from_d1_to_d3(manager_a, timeline):
    matrix = group_migration_matrix(user=manager_a, date_from=D1, date_to=D3)

    assert matrix.count(G.IMPORTANT_VALUE, G.IMPORTANT_VALUE) >= 2  # stays, comes back
    assert matrix.count(G.IMPORTANT_VALUE, G.IMPORTANT_RETENTION) >= 2  # slips, slips late
    assert matrix.count(NEW, G.ORDINARY_DEVELOPMENT) >= 1
    row = next(r for r in matrix.rows if r.key == G.IMPORTANT_VALUE)
    assert row.total == sum(c.count for c in row.cells)
    assert sum(c.share for c in row.cells if c.share is not None) == pytest.approx(100, abs=0.5)
    assert matrix.column_totals == [
        sum(r.cells[i].count for r in matrix.rows) for i in range(len(matrix.columns))
    ]


def test_the_sentence_names_the_largest_move(hq_admin, stores):
    people = [MemberFactory(home_store=stores["A"]) for _ in range(3)]
    build_history(
        {
            people[0]: [G.IMPORTANT_VALUE, G.IMPORTANT_RETENTION, G.IMPORTANT_RETENTION],
            people[1]: [G.IMPORTANT_VALUE, G.IMPORTANT_VALUE, G.IMPORTANT_RETENTION],
            people[2]: [G.ORDINARY_VALUE, G.ORDINARY_VALUE, G.ORDINARY_WINBACK],
        },
        DATES,
    )

    matrix = group_migration_matrix(user=hq_admin, date_from=D1, date_to=D3)

    assert (
        matrix.moves[0].sentence == "自 2026-04-01 至 2026-06-01，重要价值 中有 2 人变为 重要保持。"
    )
    assert matrix.moves[1].members == 1


def test_store_manager_sees_only_own_stores_movements(manager_a, timeline, stores):
    matrix = group_migration_matrix(user=manager_a, date_from=D1, date_to=D3)

    assert as_cells(matrix) == brute_force(timeline, D1, D3, stores={stores["A"].pk})


def test_store_manager_naming_another_store_gets_nothing_of_it(manager_a, timeline, stores):
    matrix = group_migration_matrix(user=manager_a, date_from=D1, date_to=D3, store=stores["B"])

    assert matrix.total == 0


def test_region_manager_sees_their_region(timeline, stores, region):
    manager = RegionManagerFactory(region=region)

    matrix = group_migration_matrix(user=manager, date_from=D1, date_to=D3)

    own = {stores["A"].pk, stores["C"].pk}
    assert as_cells(matrix) == brute_force(timeline, D1, D3, stores=own)


def test_filter_by_store_group_and_region(hq_admin, timeline, stores, region):
    by_group = group_migration_matrix(
        user=hq_admin, date_from=D1, date_to=D3, store_group=stores["C"].store_group
    )
    by_region = group_migration_matrix(user=hq_admin, date_from=D1, date_to=D3, region=region)

    assert as_cells(by_group) == brute_force(timeline, D1, D3, stores={stores["C"].pk})
    own = {stores["A"].pk, stores["C"].pk}
    assert as_cells(by_region) == brute_force(timeline, D1, D3, stores=own)


def test_guides_may_not_see_group_figures(guide_a, timeline):
    with pytest.raises(PermissionDenied):
        group_migration_matrix(user=guide_a, date_from=D1, date_to=D3)
    with pytest.raises(PermissionDenied):
        group_sizes_by_store(user=guide_a, run_date=D3)


@pytest.mark.parametrize(
    ("x", "y", "code"),
    [
        (D3, D1, "dates_out_of_order"),
        (D2, D2, "dates_out_of_order"),
        (date(2026, 4, 2), D3, "no_finished_run"),
        (D1, date(2026, 7, 1), "no_finished_run"),
    ],
)
def test_dates_without_a_finished_run_are_refused_in_chinese(hq_admin, timeline, x, y, code):
    with pytest.raises(RuleViolation) as refused:
        group_migration_matrix(user=hq_admin, date_from=x, date_to=y)

    assert refused.value.code == code
    assert "日期" in str(refused.value.message) or "分群" in str(refused.value.message)


def test_an_unfinished_run_is_not_a_choice(hq_admin, timeline):
    RfmRunFactory(business_date=date(2026, 7, 1), finished_at=None)

    assert date(2026, 7, 1) not in finished_run_dates()
    with pytest.raises(RuleViolation):
        group_migration_matrix(user=hq_admin, date_from=D3, date_to=date(2026, 7, 1))


def test_default_dates_are_the_latest_run_and_the_one_nearest_a_month_before():
    runs = [date(2026, 6, 30), date(2026, 6, 29), date(2026, 6, 3), date(2026, 5, 25)]
    tie = [date(2026, 6, 30), date(2026, 6, 1), date(2026, 5, 30)]

    assert default_migration_dates(runs) == (date(2026, 6, 3), date(2026, 6, 30))
    assert default_migration_dates(tie) == (date(2026, 6, 1), date(2026, 6, 30))
    assert default_migration_dates(runs[:2]) == (date(2026, 6, 29), date(2026, 6, 30))
    assert default_migration_dates(runs[:1]) == (None, date(2026, 6, 30))
    assert default_migration_dates([]) == (None, None)


def test_group_sizes_per_store_of_a_run(manager_a, hq_admin, timeline, stores):
    own = group_sizes_by_store(user=manager_a, run_date=D3)
    everyone = group_sizes_by_store(user=hq_admin, run_date=D3, limit=2)

    [row] = own.stores
    expected = Counter(
        group_at(groups, D3)
        for member, groups in timeline.items()
        if member.home_store_id == stores["A"].pk and group_at(groups, D3)
    )
    assert row.store == stores["A"]
    assert row.counts == [expected[g] for g in GROUPS]
    assert own.totals == row.counts
    assert len(everyone.stores) == 2 and everyone.more_stores
    assert sum(everyone.totals) == sum(1 for g in timeline.values() if g[2] is not None)


def test_the_group_sizes_of_an_unfinished_run_are_not_shown(hq_admin, store_a):
    # given: a run whose prepare step has written its group counts, not yet finished
    run = RfmRunFactory(business_date=date(2026, 7, 1), finished_at=None)
    RfmGroupCount.objects.create(run=run, store=store_a, group=RfmGroup.IMPORTANT_VALUE, members=3)
    # when
    sizes = group_sizes_by_store(user=hq_admin, run_date=run.business_date)
    # then
    assert sizes.stores == [] and not any(sizes.totals)
