"""The RFM(L) contract: thresholds and the group rules (DOMAIN.md, issue 3 section 1).

For an as-of date D (a local date), over the counted orders (not refunded in full) paid on or
before D, local time:

- R = D - the local date of the latest counted order, in days;
- F = the number of counted orders paid in the window (D - W, D], W = window_days;
- M = the sum of those orders' net amounts (amount - refunded_amount), yuan;
- L = the local date of the latest counted order - that of the first, in days.

Thresholds are taken over the active members (F >= 1), each axis by its own method. A member is
recent when R <= the R threshold, has high F when F > the F threshold and high M when
M > the M threshold. A member without any counted order is `no_purchase`.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from members.models import RfmGroup

# Thresholds are stored with 4 decimal places (RfmRun). A mean is rounded to them half-to-even;
# a median is exact at 4 places (the mean of two integers or of two 2-place amounts). Members
# are compared with the stored, rounded threshold.
THRESHOLD_PLACES = Decimal("0.0001")

# (recent, high F, high M) -> group: the eight groups of DOMAIN.md.
GROUPS: dict[tuple[bool, bool, bool], RfmGroup] = {
    (True, True, True): RfmGroup.IMPORTANT_VALUE,
    (True, True, False): RfmGroup.ORDINARY_VALUE,
    (True, False, True): RfmGroup.IMPORTANT_DEVELOPMENT,
    (True, False, False): RfmGroup.ORDINARY_DEVELOPMENT,
    (False, True, True): RfmGroup.IMPORTANT_RETENTION,
    (False, True, False): RfmGroup.ORDINARY_RETENTION,
    (False, False, True): RfmGroup.IMPORTANT_WINBACK,
    (False, False, False): RfmGroup.ORDINARY_WINBACK,
}


@dataclass(frozen=True)
class Thresholds:
    """R (days), F (orders), M (yuan); None when taken over no active member."""

    r: Decimal | None
    f: Decimal | None
    m: Decimal | None


def is_recent(recency_days: int | None, threshold: Decimal | None) -> bool:
    """R at or under the threshold; no threshold (no active member) or no purchase: not recent.
    The SQL twin is `group_case_sql`."""
    return None not in (recency_days, threshold) and recency_days <= threshold


def is_high(value, threshold: Decimal | None) -> bool:
    """F or M over the threshold; no threshold: low."""
    return threshold is not None and value > threshold


def threshold_round(value: Decimal) -> Decimal:
    return value.quantize(THRESHOLD_PLACES, rounding=ROUND_HALF_EVEN)


def middle_window(count: int) -> tuple[int, int]:
    """(offset, how many) of the middle value(s) among `count` sorted values."""
    return (count - 1) // 2, 2 - count % 2


def median_of_middle(middle: Sequence[Decimal]) -> Decimal:
    """The median from the one or two middle values: for an even count, their mean."""
    return threshold_round(sum(middle, Decimal(0)) / len(middle))


def mean_of(total: Decimal, count: int) -> Decimal | None:
    return threshold_round(Decimal(total) / count) if count else None


def group_case_sql(thresholds: Thresholds, *, row: str, prefix: str = "") -> str:
    """A SQL CASE giving the group of the member row `row` (absent, or with no counted
    order: no purchase).

    Uses the parameters of `threshold_params` (with the same `prefix`). A null threshold makes
    its test false: "not recent", "low F", "low M". Nested, so a row is tested three times, not
    up to 24. R and F are whole numbers, compared with the whole part of their thresholds
    (R <= t exactly when R <= floor(t), F > t exactly when F > floor(t)): integer comparisons,
    where comparing them as decimals took a pass over 1M members 0.11-0.18 s instead of 0.08 s
    (scratch timings, not a benchmark).
    """
    recent = _test(f"{row}.recency_days <= %({prefix}r_whole)s", thresholds.r)
    high_f = _test(f"{row}.frequency > %({prefix}f_whole)s", thresholds.f)
    high_m = _test(f"{row}.monetary > {_param(f'{prefix}m_threshold')}", thresholds.m)

    def by_m(flags: tuple[bool, bool]) -> str:
        high, low = GROUPS[(*flags, True)].value, GROUPS[(*flags, False)].value
        return f"CASE WHEN {high_m} THEN '{high}' ELSE '{low}' END"

    def by_f(is_recent: bool) -> str:
        return (
            f"CASE WHEN {high_f} THEN {by_m((is_recent, True))} ELSE {by_m((is_recent, False))} END"
        )

    return (
        f"CASE WHEN COALESCE({row}.order_count, 0) = 0 THEN '{RfmGroup.NO_PURCHASE.value}' "
        f"WHEN {recent} THEN {by_f(True)} ELSE {by_f(False)} END"
    )


def groups_differ_sql(a: Thresholds, b: Thresholds, *, row: str) -> tuple[str | None, dict]:
    """A SQL condition, with its parameters, true for every member row `row` whose group may
    differ between thresholds `a` and `b`: those with a figure between an axis's two thresholds
    (R and F by their whole parts, as `group_case_sql`), or over the one threshold an axis has
    on one side only (the other's test is false). None: no group can differ."""
    tests, params = [], {}
    for axis, column, whole in (("r", "recency_days", True), ("f", "frequency", True),
                                ("m", "monetary", False)):  # fmt: skip
        ends = [getattr(a, axis), getattr(b, axis)]
        if whole:
            ends = [None if end is None else _whole(end) for end in ends]
        if ends[0] == ends[1]:
            continue
        known = sorted(end for end in ends if end is not None)
        names = [f"differ_{axis}_{i}" for i in range(len(known))]
        params |= dict(zip(names, known, strict=True))
        value = f"{row}.{column}"
        if len(known) == 1:  # R: recent at or under it; F, M: high over it
            test = f"{value} {'<=' if axis == 'r' else '>'} {_param(names[0])}"
        else:
            test = f"{value} > {_param(names[0])} AND {value} <= {_param(names[1])}"
        tests.append(f"({test})")
    return (" OR ".join(tests) or None), params


def threshold_params(thresholds: Thresholds, prefix: str = "") -> dict:
    return {
        f"{prefix}r_whole": _whole(thresholds.r),
        f"{prefix}f_whole": _whole(thresholds.f),
        f"{prefix}m_threshold": thresholds.m,
    }


def _whole(threshold: Decimal | None) -> int | None:
    return None if threshold is None else math.floor(threshold)


def _param(name: str) -> str:
    # Cast: SQLite compares a text parameter with a computed value (no column affinity) as
    # text, and every integer sorts before every text.
    return f"CAST(%({name})s AS NUMERIC)"


def _test(sql: str, threshold: Decimal | None) -> str:
    return f"({sql})" if threshold is not None else "(1 = 0)"
