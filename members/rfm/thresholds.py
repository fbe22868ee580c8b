"""Step 2: the thresholds, set-based over the run's active members: those measured (RfmStage),
and, in a run from a base, the base's others (the live MemberRfm, R counted from the run's date).
"""

from decimal import Decimal

from django.db import connection

from members.models import RfmRun, ThresholdMethod

from . import sql
from .contract import Thresholds, mean_of, median_of_middle, middle_window, threshold_round
from .measure import recency_sql

STAGED = "SELECT recency_days, frequency, monetary FROM members_rfmstage WHERE run_id = %(run)s"


def _active(run: RfmRun) -> str:
    """FROM the run's active members (F >= 1), with their R, F and M."""
    if not run.base_id:
        return f"FROM ({STAGED}) a WHERE frequency >= 1"
    kept = f"""
        SELECT {recency_sql("cur.last_purchase_on")}, cur.frequency, cur.monetary
        FROM members_memberrfm cur
        WHERE NOT EXISTS (SELECT 1 FROM members_rfmstage s
                          WHERE s.run_id = %(run)s AND s.member_id = cur.member_id)
    """
    return f"FROM ({STAGED} UNION ALL {kept}) a WHERE frequency >= 1"


def _params(run: RfmRun, **more) -> dict:
    return sql.params(run=run.pk, as_of=run.business_date, **more)


class Axis:
    """One of R, F, M: its stage column, as an exactly comparable number, and its scale."""

    def __init__(self, name: str, column: str, scale: int = 1):
        self.name, self.column, self.scale = name, column, scale

    def method(self, run: RfmRun) -> str:
        return getattr(run, f"{self.name}_method")

    def fixed(self, run: RfmRun) -> Decimal | None:
        return getattr(run, f"{self.name}_threshold")


# M is read in whole cents: exact on SQLite too, where decimals are stored as floats.
AXES = (Axis("r", "recency_days"), Axis("f", "frequency"), Axis("m", sql.cents("monetary"), 100))


def thresholds_compute(run: RfmRun) -> tuple[Thresholds, int]:
    """The run's thresholds and its number of active members.

    A fixed threshold was copied onto the run when it opened; median and mean are taken here,
    and are None when no member is active.
    """
    means = [axis for axis in AXES if axis.method(run) == ThresholdMethod.MEAN]
    medians = [axis for axis in AXES if axis.method(run) == ThresholdMethod.MEDIAN]
    if sql.is_postgres():
        count, totals, values = _one_pass(run, means, medians)
    else:
        count, totals = _active_totals(run, means)
        values = {axis.name: _median(run, axis, count) if count else None for axis in medians}
    for axis in AXES:
        method = axis.method(run)
        if method == ThresholdMethod.FIXED:
            values[axis.name] = axis.fixed(run)
        elif method == ThresholdMethod.MEAN:
            values[axis.name] = mean_of(totals[axis.name] / axis.scale, count)
    return Thresholds(**values), count


def _one_pass(
    run: RfmRun, means: list[Axis], medians: list[Axis]
) -> tuple[int, dict[str, Decimal], dict[str, Decimal | None]]:
    """PostgreSQL, one pass over the active members: their number, the sums of `means`, and the
    medians of `medians` by percentile_cont(0.5): the middle value, or the mean of the two middle
    values. Exact: whole numbers (M in cents) as float8, and their halves, are represented
    exactly in binary up to 2^52."""
    sums = [f"SUM({axis.column})" for axis in means]
    middles = [f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {axis.column})" for axis in medians]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(['COUNT(*)', *sums, *middles])} {_active(run)}", _params(run)
        )
        count, *rest = cursor.fetchone()
    totals = {axis.name: Decimal(total or 0) for axis, total in zip(means, rest, strict=False)}
    values = {
        axis.name: None if middle is None else threshold_round(Decimal(middle) / axis.scale)
        for axis, middle in zip(medians, rest[len(means) :], strict=True)
    }
    return count, totals, values


def _active_totals(run: RfmRun, axes: list[Axis]) -> tuple[int, dict[str, Decimal]]:
    """The number of active members, and the sum of each of `axes` over them (only those: the
    sums cost more than the count)."""
    sums = "".join(f", SUM({axis.column})" for axis in axes)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*){sums} {_active(run)}", _params(run))
        count, *totals = cursor.fetchone()
    return count, {axis.name: Decimal(total or 0) for axis, total in zip(axes, totals, strict=True)}


def _median(run: RfmRun, axis: Axis, count: int) -> Decimal:
    offset, limit = middle_window(count)
    query = f"SELECT {axis.column} AS v {_active(run)} ORDER BY v LIMIT %(limit)s OFFSET %(offset)s"
    with connection.cursor() as cursor:
        cursor.execute(query, _params(run, limit=limit, offset=offset))
        middle = [Decimal(value) / axis.scale for (value,) in cursor.fetchall()]
    return median_of_middle(middle)
