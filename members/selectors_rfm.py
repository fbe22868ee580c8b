"""Reads about RFM groups across stores: the group migration matrix (群体迁移矩阵) and group
sizes per store. (A single member's group card is in members.selectors.)

Store attribution: every figure is attributed to the store written on the RfmGroupChange or
RfmGroupCount row, which is the member's home store *as of that run*. A member who changed home
store between two runs is counted, in each store, only with the rows recorded while they belonged
to it; so a store's matrix never shows a movement recorded under another store.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext as _

from .errors import RuleViolation
from .models import RfmGroup, RfmGroupChange, RfmGroupCount, RfmRun, Store

# --- Which runs, who, where ---------------------------------------------------------------------


def finished_run_dates() -> list[date]:
    """Business dates of finished runs, latest first: the only dates a matrix can compare."""
    runs = RfmRun.objects.finished().order_by("-business_date")
    return list(runs.values_list("business_date", flat=True))


def default_migration_dates(dates: list[date]) -> tuple[date | None, date | None]:
    """(earlier, later): the latest run and the run nearest 30 days before it."""
    if len(dates) < 2:
        return None, (dates[0] if dates else None)
    latest, earlier = dates[0], dates[1:]
    target = latest - timedelta(days=30)
    return min(earlier, key=lambda day: (abs((day - target).days), -day.toordinal())), latest


def may_see_group_figures(user) -> bool:
    """Store-level group figures: HQ, region managers and store managers; guides work members."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_hq or user.is_region_manager or user.is_store_manager


@dataclass(frozen=True)
class Place:
    """Optional narrowing within the user's scope; never widens it."""

    store: Store | None = None
    store_group: object | None = None
    region: object | None = None

    def q(self, path: str = "store") -> Q:
        """The narrowing on a model whose `path` leads to Store ("" for Store itself)."""
        prefix = f"{path}__" if path else ""
        q = Q()
        if self.store is not None:
            q &= Q(**{f"{prefix}pk": self.store.pk})
        if self.store_group is not None:
            q &= Q(**{f"{prefix}store_group": self.store_group})
        if self.region is not None:
            q &= Q(**{f"{prefix}region": self.region})
        return q


def group_figures_check(user) -> None:
    if not may_see_group_figures(user):
        raise PermissionDenied(
            _("客户群迁移只对总部、片区经理和店长开放；导购请在会员列表按客户群筛选。")
        )


def _check_run_dates(date_from: date, date_to: date) -> None:
    if date_from >= date_to:
        raise RuleViolation("dates_out_of_order", _("起始日期必须早于结束日期。"))
    finished = set(
        RfmRun.objects.filter(
            business_date__in=[date_from, date_to], finished_at__isnull=False
        ).values_list("business_date", flat=True)
    )
    for day in (date_from, date_to):
        if day not in finished:
            raise RuleViolation(
                "no_finished_run",
                _("%(day)s 没有已完成的分群运行，请选择列表中的日期。") % {"day": day.isoformat()},
            )


# --- The migration matrix -----------------------------------------------------------------------

NEW = "new"
HEAT_STEPS = 5


@dataclass(frozen=True)
class MatrixCell:
    count: int
    share: Decimal | None  # percent of the row
    heat: int  # 0 (none) .. HEAT_STEPS (the whole row)
    is_diagonal: bool


@dataclass(frozen=True)
class MatrixRow:
    key: str
    label: str
    cells: list[MatrixCell]
    total: int
    share: Decimal | None  # percent of all members in the matrix


@dataclass(frozen=True)
class GroupMove:
    from_label: str
    to_label: str
    members: int
    sentence: str


@dataclass(frozen=True)
class MigrationMatrix:
    date_from: date
    date_to: date
    columns: list[tuple[str, str]]
    rows: list[MatrixRow]
    column_totals: list[int]
    column_shares: list[Decimal | None]
    total: int
    moves: list[GroupMove]

    def count(self, from_key: str, to_key: str) -> int:
        row = next(r for r in self.rows if r.key == from_key)
        return row.cells[[key for key, _label in self.columns].index(to_key)].count


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def _heat(part: int, whole: int) -> int:
    if not part or not whole:
        return 0
    return max(1, -(-part * HEAT_STEPS // whole))


def _moves(user, date_from: date, date_to: date, place: Place) -> dict[tuple[str, str], int]:
    """Members who changed group in (X, Y]: (their group at X, their group at Y) -> how many.

    The group at X is the from_group of a member's first change after X ("" = first grouped
    after X); the group at Y the to_group of their last change up to Y. One query, per-member
    first and last rows picked by correlated subqueries on the (member, business_date) key.
    """
    window = (
        RfmGroupChange.objects.visible_to(user)
        .filter(place.q(), business_date__gt=date_from, business_date__lte=date_to)
        .order_by()
    )
    earlier = window.filter(member=OuterRef("member"), business_date__lt=OuterRef("business_date"))
    last = window.filter(member=OuterRef("member")).order_by("-business_date")
    rows = (
        window.filter(~Exists(earlier))
        .annotate(at_y=Subquery(last.values("to_group")[:1]))
        .values("from_group", "at_y")
        .annotate(members=Count("pk"))
        .order_by()
    )
    return {(row["from_group"], row["at_y"]): row["members"] for row in rows}


def _sizes_at(user, day: date, place: Place) -> dict[str, int]:
    rows = (
        RfmGroupCount.objects.finished()
        .visible_to(user)
        .filter(place.q(), run__business_date=day)
        .values("group")
        .annotate(members=Sum("members"))
        .order_by()
    )
    return {row["group"]: row["members"] for row in rows}


def _row_counts(key: str, sizes: dict, moves: dict) -> list[int]:
    groups = RfmGroup.values
    if key == NEW:
        return [moves.get(("", group), 0) for group in groups]
    left = sum(n for (from_group, to), n in moves.items() if from_group == key and to != key)
    # Stayed = in the group at X, minus those who left it (those who left and came back are in
    # `moves` as key -> key, and were never subtracted). Clamped: a member whose home store
    # changed before their first change after X is counted at X under their old store.
    stayed = max(sizes.get(key, 0) - left, 0)
    return [stayed if group == key else moves.get((key, group), 0) for group in groups]


def _matrix_row(key: str, label: str, counts: list[int], total_all: int) -> MatrixRow:
    total = sum(counts)
    cells = [
        MatrixCell(n, _percent(n, total), _heat(n, total), group == key)
        for group, n in zip(RfmGroup.values, counts, strict=True)
    ]
    return MatrixRow(key, label, cells, total, _percent(total, total_all))


def _largest_moves(date_from, date_to, moves: dict, limit: int = 3) -> list[GroupMove]:
    labels = dict(RfmGroup.choices)
    changed = [(n, f, t) for (f, t), n in moves.items() if f and f != t and n]
    result = []
    for n, from_group, to_group in sorted(changed, key=lambda m: (-m[0], m[1], m[2]))[:limit]:
        sentence = _("自 %(x)s 至 %(y)s，%(from)s 中有 %(n)d 人变为 %(to)s。") % {
            "x": date_from.isoformat(),
            "y": date_to.isoformat(),
            "from": labels[from_group],
            "n": n,
            "to": labels[to_group],
        }
        result.append(GroupMove(str(labels[from_group]), str(labels[to_group]), n, sentence))
    return result


def group_migration_matrix(
    *, user, date_from: date, date_to: date, store=None, store_group=None, region=None
) -> MigrationMatrix:
    """Rows: the group at the earlier run X (plus 新分群: not grouped at X); columns: the group
    at the later run Y. Off-diagonal cells come from RfmGroupChange in (X, Y]; the diagonal is
    RfmGroupCount at X minus the members who left the group. Within `user`'s scope only."""
    group_figures_check(user)
    _check_run_dates(date_from, date_to)
    place = Place(store, store_group, region)
    sizes = _sizes_at(user, date_from, place)
    moves = _moves(user, date_from, date_to, place)
    keyed = [*RfmGroup.choices, (NEW, _("新分群"))]
    counts = {key: _row_counts(key, sizes, moves) for key, _label in keyed}
    total = sum(sum(row) for row in counts.values())
    rows = [_matrix_row(key, str(label), counts[key], total) for key, label in keyed]
    column_totals = [sum(column) for column in zip(*counts.values(), strict=True)]
    return MigrationMatrix(
        date_from=date_from,
        date_to=date_to,
        columns=[(key, str(label)) for key, label in RfmGroup.choices],
        rows=rows,
        column_totals=column_totals,
        column_shares=[_percent(n, total) for n in column_totals],
        total=total,
        moves=_largest_moves(date_from, date_to, moves),
    )


# --- Group sizes per store ----------------------------------------------------------------------


@dataclass(frozen=True)
class StoreGroupSizes:
    store: Store
    counts: list[int]
    total: int


@dataclass(frozen=True)
class GroupSizes:
    run_date: date | None
    columns: list[tuple[str, str]]
    stores: list[StoreGroupSizes]
    more_stores: bool
    totals: list[int]


def group_sizes_by_store(
    *, user, run_date: date | None, store=None, store_group=None, region=None, limit: int = 50
) -> GroupSizes:
    """Each visible store's group sizes at one run (RfmGroupCount), the first `limit` stores by
    code, with totals over the whole scope."""
    group_figures_check(user)
    columns = [(key, str(label)) for key, label in RfmGroup.choices]
    place = Place(store, store_group, region)
    counts = (
        RfmGroupCount.objects.finished()
        .visible_to(user)
        .filter(place.q(), run__business_date=run_date)
    )
    stores = list(
        Store.objects.visible_to(user)
        .filter(place.q(""), id__in=counts.values("store_id"))
        .order_by("code")[: limit + 1]
    )
    per_store = defaultdict(dict)
    for row in counts.filter(store__in=stores[:limit]).values("store_id", "group", "members"):
        per_store[row["store_id"]][row["group"]] = row["members"]
    totals = _sizes_at(user, run_date, place) if run_date else {}
    return GroupSizes(
        run_date=run_date,
        columns=columns,
        stores=[_store_sizes(s, per_store[s.pk]) for s in stores[:limit]],
        more_stores=len(stores) > limit,
        totals=[totals.get(key, 0) for key, _label in columns],
    )


def _store_sizes(store: Store, counts: dict) -> StoreGroupSizes:
    row = [counts.get(key, 0) for key in RfmGroup.values]
    return StoreGroupSizes(store, row, sum(row))
