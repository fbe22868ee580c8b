"""Step 2: the thresholds, set-based over the run's measured members (RfmStage)."""

from decimal import Decimal

from django.db import connection

from members.models import RfmRun, ThresholdMethod

from . import sql
from .contract import Thresholds, mean_of, median_of_middle, middle_window

ACTIVE = "FROM members_rfmstage WHERE run_id = %(run)s AND frequency >= 1"


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
    count, totals = _active_totals(run)
    values = {}
    for axis in AXES:
        method = axis.method(run)
        if method == ThresholdMethod.FIXED:
            values[axis.name] = axis.fixed(run)
        elif method == ThresholdMethod.MEAN:
            values[axis.name] = mean_of(totals[axis.name] / axis.scale, count)
        else:
            values[axis.name] = _median(run, axis, count)
    return Thresholds(**values), count


def _active_totals(run: RfmRun) -> tuple[int, dict[str, Decimal]]:
    sums = ", ".join(f"SUM({axis.column})" for axis in AXES)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), {sums} {ACTIVE}", {"run": run.pk})
        count, *totals = cursor.fetchone()
    return count, {axis.name: Decimal(total or 0) for axis, total in zip(AXES, totals, strict=True)}


def _median(run: RfmRun, axis: Axis, count: int) -> Decimal | None:
    if not count:
        return None
    offset, limit = middle_window(count)
    query = f"SELECT {axis.column} AS v {ACTIVE} ORDER BY v LIMIT %(limit)s OFFSET %(offset)s"
    with connection.cursor() as cursor:
        cursor.execute(query, {"run": run.pk, "limit": limit, "offset": offset})
        middle = [Decimal(value) / axis.scale for (value,) in cursor.fetchall()]
    return median_of_middle(middle)
