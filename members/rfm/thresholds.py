"""The thresholds, set-based over a run's active members (F >= 1): the run's own MemberRfm
table once every chunk has written it (`thresholds_compute`), or a sample of the members for
the provisional thresholds of a run without a base (`provisional_thresholds`).
"""

from decimal import Decimal

from django.db import connection

from members.models import RfmRun, ThresholdMethod

from . import sql
from .contract import Thresholds, mean_of, median_of_middle, middle_window, threshold_round
from .measure import sample_figures
from .next_table import next_table_name


class Source:
    """Rows with R, F and M (`figures`, a SQL subquery) and its parameters."""

    def __init__(self, figures: str, params: dict):
        self.figures, self.params = figures, params

    @property
    def active(self) -> str:
        """FROM the active members, with their R, F and M."""
        return f"FROM ({self.figures}) a WHERE frequency >= 1"


def run_table(run: RfmRun) -> Source:
    table = connection.ops.quote_name(next_table_name(run))
    return Source(f"SELECT recency_days, frequency, monetary FROM {table}", {})


class Axis:
    """One of R, F, M: its column, as an exactly comparable number, and its scale."""

    def __init__(self, name: str, column: str, scale: int = 1):
        self.name, self.column, self.scale = name, column, scale

    def method(self, run: RfmRun) -> str:
        return getattr(run, f"{self.name}_method")

    def fixed(self, run: RfmRun) -> Decimal | None:
        return getattr(run, f"{self.name}_threshold")


# M is read in whole cents: exact on SQLite too, where decimals are stored as floats.
AXES = (Axis("r", "recency_days"), Axis("f", "frequency"), Axis("m", sql.cents("monetary"), 100))


def thresholds_compute(
    run: RfmRun, source: Source | None = None, *, active: int | None = None
) -> tuple[Thresholds, int]:
    """The run's thresholds and its number of active members, over `source` (the run's table
    unless given); `active`, when known, is that number (the measure chunks counted them).

    A fixed threshold was copied onto the run when it opened; median and mean are taken here,
    and are None when no member is active.
    """
    source = source or run_table(run)
    means = [axis for axis in AXES if axis.method(run) == ThresholdMethod.MEAN]
    medians = [axis for axis in AXES if axis.method(run) == ThresholdMethod.MEDIAN]
    if sql.is_postgres():
        count, totals, values = _one_pass(source, means, medians, active)
    else:
        count, totals = _active_totals(source, means)
        values = {axis.name: _median(source, axis, count) if count else None for axis in medians}
    for axis in AXES:
        method = axis.method(run)
        if method == ThresholdMethod.FIXED:
            values[axis.name] = axis.fixed(run)
        elif method == ThresholdMethod.MEAN:
            values[axis.name] = mean_of(totals[axis.name] / axis.scale, count)
    return Thresholds(**values), count


def run_thresholds(run: RfmRun) -> Thresholds:
    """The thresholds stored on a run."""
    return Thresholds(r=run.r_threshold, f=run.f_threshold, m=run.m_threshold)


def provisional_thresholds(run: RfmRun) -> Thresholds:
    """The thresholds the measure chunks take a run's provisional groups against: its base's,
    else those of a sample of the members (members.rfm.measure.sample_figures)."""
    if run.base_id:
        return run_thresholds(run.base)
    with sql.local_time_zone():
        thresholds, _active = thresholds_compute(run, Source(*sample_figures(run)))
    return thresholds


def _one_pass(
    source: Source, means: list[Axis], medians: list[Axis], active: int | None = None
) -> tuple[int, dict[str, Decimal], dict[str, Decimal | None]]:
    """PostgreSQL, one pass over the active members: their number, the sums of `means`, and the
    medians of `medians`: the middle value, or the mean of the two middle values.

    With their number known beforehand (`active`), the middle values themselves, by
    percentile_disc at fractions that fall on their positions, sorting each figure in its own
    type: at 1M members the pass took 0.27 s where percentile_cont's, which sorts float8, took
    0.33 s (scratch timings, not a benchmark). Otherwise, and should the number differ,
    percentile_cont(0.5). Exact either way: whole numbers (M in cents), and for percentile_cont
    as float8 with their halves, represented exactly in binary up to 2^52."""
    sums = [f"SUM({axis.column})" for axis in means]
    if active:
        offset, limit = middle_window(active)
        fractions = [(position - 0.5) / active for position in (offset + 1, offset + limit)]
        middle = "percentile_disc(%(fractions)s::float8[])"
        params = {**source.params, "fractions": fractions}
    else:
        middle, params = "percentile_cont(0.5)", source.params
    middles = [f"{middle} WITHIN GROUP (ORDER BY {axis.column})" for axis in medians]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(['COUNT(*)', *sums, *middles])} {source.active}", params)
        count, *rest = cursor.fetchone()
    if active and count != active:
        return _one_pass(source, means, medians)
    totals = {axis.name: Decimal(total or 0) for axis, total in zip(means, rest, strict=False)}
    values = {
        axis.name: None if found is None else _middle_value(found, axis)
        for axis, found in zip(medians, rest[len(means) :], strict=True)
    }
    return count, totals, values


def _middle_value(found, axis: Axis) -> Decimal:
    """The median from percentile_cont's value, or from percentile_disc's two middle values (the
    same one twice for an odd count)."""
    if isinstance(found, list):
        return median_of_middle([Decimal(value) / axis.scale for value in found])
    return threshold_round(Decimal(found) / axis.scale)


def _active_totals(source: Source, axes: list[Axis]) -> tuple[int, dict[str, Decimal]]:
    """The number of active members, and the sum of each of `axes` over them (only those: the
    sums cost more than the count)."""
    sums = "".join(f", SUM({axis.column})" for axis in axes)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*){sums} {source.active}", source.params)
        count, *totals = cursor.fetchone()
    return count, {axis.name: Decimal(total or 0) for axis, total in zip(axes, totals, strict=True)}


def _median(source: Source, axis: Axis, count: int) -> Decimal:
    offset, limit = middle_window(count)
    query = f"SELECT {axis.column} AS v {source.active} ORDER BY v"
    query += " LIMIT %(limit)s OFFSET %(offset)s"
    with connection.cursor() as cursor:
        cursor.execute(query, {**source.params, "limit": limit, "offset": offset})
        middle = [Decimal(value) / axis.scale for (value,) in cursor.fetchall()]
    return median_of_middle(middle)
