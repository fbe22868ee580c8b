"""Benchmark the nightly RFM regroup against one hand-written SQL statement (PostgreSQL).

    .venv/bin/python bench/regroup.py [--chunk-size 50000] [--growth 100000 1000000]
        [--workers 1 2] [--no-full] [--repeat 5] [--next-night-orders 10000]
        [--next-night-refunds 500]

On DATABASE_URL (default postgres://postgres@127.0.0.1:5432/siyu_bench, seeded by
bench/seed_scale.py): migrates, VACUUM ANALYZEs the orders, then for a member-id prefix holding
about 0.1M orders, one holding about 1M, and all members:

- clears the RFM tables, so the run is a first run (no previous MemberRfm);
- times `rfm_regroup` as of yesterday: in-process, the real code path (for a prefix, only the
  planned member-id ranges are narrowed to the prefix), once per `--workers` count: 1 runs the
  chunks one after another (the command), N runs them on N threads with their own database
  connections, as N Celery workers would share a run;
- prints where the time went: the measure chunks, the prepare chunks (the thresholds, the
  settle and the group counts beside the key, then the statistics of the run's table), and the
  rest (the opening and the finish), with the date logging, provisional thresholds and table
  swap in it;
- times one statement computing the same groups into an UNLOGGED scratch table
  (WITH ... percentile_cont ... CASE), asserts the same group sizes per store and group, and
  prints the ratio (target <= 1.5). On all orders this is done `--repeat` times, regroup and
  statement one after the other, and the median ratio printed: on a shared machine a single
  pair's ratio moves by a third from one run to the next.

Then the next night, as every night after the first goes: a day of changes is written (new
orders paid on the next date for random members, `--next-night-orders`, a line each, and
refunds of random orders, half in full, `--next-night-refunds`; the order change log records
their members), the next date's regroup builds on the full run's (only those members and those
with an order leaving the window are measured again) and is timed with the last `--workers`
count, against the one statement for that date, with the same check of group sizes; the ratio
is printed.

The RFM tables and the order and store change logs are emptied before each first run: a first run
after the initial load of the chain would also take that load's million log rows, once.
The database keeps the last regroup, for the other benchmarks.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/siyu_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"

import django  # noqa: E402 (after the environment above)

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from members.models import RfmGroupCount, RfmRun  # noqa: E402
from members.rfm import rfm_regroup, runs  # noqa: E402
from members.rfm.measure import measure_bounds  # noqa: E402

RFM_TABLES = (
    "members_rfmgroupchange",
    "members_rfmgroupcount",
    "members_memberrfm",
)
SCRATCH = "bench_rfm_one_statement"
RUN_TABLES = "members\\_memberrfm\\_next\\_%%"

# The whole regroup in one statement, written by hand: per-member figures in one GROUP BY (on the
# orders' net cents, as the regroup reads them), the medians by percentile_cont (M in cents, so
# exact in double precision), the groups by CASE.
ONE_STATEMENT = f"""
CREATE UNLOGGED TABLE {SCRATCH} AS
WITH per_member AS (
    SELECT o.member_id,
           (max(o.paid_at) AT TIME ZONE 'Asia/Shanghai')::date AS last_on,
           count(*) FILTER (WHERE o.paid_at >= %(window_from)s) AS f,
           coalesce(sum(o.net_cents) FILTER (WHERE o.paid_at >= %(window_from)s), 0) AS m_cents
    FROM members_order o
    WHERE o.paid_at < %(paid_before)s AND o.net_cents > 0
      AND o.member_id < %(bound)s
    GROUP BY o.member_id
), measured AS (
    SELECT member_id, %(as_of)s::date - last_on AS r, f, m_cents FROM per_member
), thresholds AS (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY r) AS r_t,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY f) AS f_t,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY m_cents) AS m_t
    FROM measured WHERE f >= 1
), flagged AS (
    SELECT mem.id AS member_id, mem.home_store_id AS store_id, x.member_id IS NULL AS none,
           coalesce(x.r <= t.r_t, false) AS recent,
           coalesce(x.f > t.f_t, false) AS high_f,
           coalesce(x.m_cents > t.m_t, false) AS high_m
    FROM members_member mem
    LEFT JOIN measured x ON x.member_id = mem.id
    CROSS JOIN thresholds t
    WHERE mem.id < %(bound)s
)
SELECT member_id, store_id,
       CASE WHEN none THEN 'no_purchase'
            WHEN recent AND high_f AND high_m THEN 'important_value'
            WHEN recent AND high_f THEN 'ordinary_value'
            WHEN recent AND high_m THEN 'important_development'
            WHEN recent THEN 'ordinary_development'
            WHEN high_f AND high_m THEN 'important_retention'
            WHEN high_f THEN 'ordinary_retention'
            WHEN high_m THEN 'important_winback'
            ELSE 'ordinary_winback' END AS grp
FROM flagged
"""


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def rfm_clear() -> None:
    sql(f"TRUNCATE {', '.join(RFM_TABLES)}, members_memberorderchange, members_memberstorechange")
    for (table,) in sql("SELECT tablename FROM pg_tables WHERE tablename LIKE %s", [RUN_TABLES]):
        sql(f'DROP TABLE "{table}"')  # of a run interrupted in an earlier benchmark
    job_runs = "SELECT job_run_id FROM members_rfmrun"
    sql(f"DELETE FROM jobs_jobchunk WHERE run_id IN ({job_runs})")
    sql("DELETE FROM members_rfmrun")
    sql("DELETE FROM jobs_jobrun WHERE job = %s", [runs.JOB])


def member_bound(orders: int | None) -> int:
    """The member id below which about `orders` orders lie (all members when None)."""
    if orders is None:
        return sql("SELECT max(id) + 1 FROM members_member")[0][0]
    query = "SELECT member_id FROM members_order ORDER BY member_id OFFSET %s LIMIT 1"
    return sql(query, [orders])[0][0]


def parallel_dispatch(workers: int):
    """Run dispatched chunks on `workers` threads, each with its own connection, like Celery
    workers; the chunk that wins a step's advance dispatches the next step the same way."""

    def one(chunk_id: int) -> None:
        try:
            runs.rfm_chunk_run(chunk_id=chunk_id, dispatch=dispatch)
        finally:
            connections.close_all()

    def dispatch(chunk_ids: list[int]) -> None:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, chunk_ids))

    return dispatch if workers > 1 else runs.run_inline


def regroup_timed(
    as_of: datetime.date, bound: int, chunk_size: int, workers: int, anew: bool = True
) -> float:
    planned = runs.member_ranges

    def prefix_ranges(size):
        return [(lo, min(hi, bound)) for lo, hi in planned(size) if lo < bound]

    runs.member_ranges = prefix_ranges
    rest_seconds.clear()
    try:
        started = time.perf_counter()
        rfm_regroup(
            business_date=as_of,
            chunk_size=chunk_size,
            dispatch=parallel_dispatch(workers),
            anew=anew,
        )
        return time.perf_counter() - started
    finally:
        runs.member_ranges = planned


STEP_TIMES = """
SELECT c.step, extract(epoch FROM max(c.finished_at) - min(c.started_at))
FROM jobs_jobchunk c JOIN members_rfmrun r ON r.job_run_id = c.run_id
WHERE r.business_date = %s GROUP BY c.step ORDER BY min(c.started_at)
"""


# The serial work between and after the chunk steps, timed by wrapping the functions the run
# calls (members.rfm.runs imports them by name): what "rest" is made of.
REST_PARTS = {
    "dates_log": "date logging",
    "provisional_thresholds": "provisional thresholds",
    "next_table_swap": "swap",
}
rest_seconds: dict[str, float] = {}


def rest_parts_timed() -> None:
    for name in REST_PARTS:
        function = getattr(runs, name)

        def timed(*args, _function=function, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _function(*args, **kwargs)
            finally:
                rest_seconds[_name] = rest_seconds.get(_name, 0) + time.perf_counter() - started

        setattr(runs, name, timed)


def step_times(as_of: datetime.date, total: float) -> str:
    """Each chunk step's span, and the rest (opening and planning, finish) with the parts of it
    timed since the last call; the members whose provisional group the settle changed."""
    spans = sql(STEP_TIMES, [as_of])
    rest = total - sum(float(seconds) for _step, seconds in spans)
    parts = ", ".join(f"{REST_PARTS[name]} {s:.2f}" for name, s in rest_seconds.items())
    rest_seconds.clear()
    settled = RfmRun.objects.get(business_date=as_of).job_run.detail.get("settled", 0)
    steps = [f"{step} {seconds:.2f} s" for step, seconds in spans]
    steps.append(f"rest {rest:.2f} s ({parts})")
    return f"{', '.join(steps)}; {settled:,} members settled"


def one_statement_timed(as_of: datetime.date, bound: int) -> float:
    sql(f"DROP TABLE IF EXISTS {SCRATCH}")
    run = RfmRun(business_date=as_of, window_days=365)
    params = {**measure_bounds(run), "as_of": as_of, "bound": bound}
    started = time.perf_counter()
    sql(ONE_STATEMENT, params)
    return time.perf_counter() - started


def sizes_compare(as_of: datetime.date) -> int:
    ours = dict(
        ((store, group), members)
        for store, group, members in RfmGroupCount.objects.filter(
            run__business_date=as_of
        ).values_list("store_id", "group", "members")
    )
    theirs = {
        (store, group): members
        for store, group, members in sql(
            f"SELECT store_id, grp, count(*) FROM {SCRATCH} GROUP BY store_id, grp"
        )
    }
    if ours != theirs:
        diff = {k: (ours.get(k), theirs.get(k)) for k in ours.keys() | theirs.keys()}
        diff = {k: v for k, v in diff.items() if v[0] != v[1]}
        sample = dict(list(diff.items())[:10])
        raise SystemExit(f"group sizes differ (ours, one statement): {sample}")
    return sum(ours.values())


def scale_run(
    label: str,
    orders: int | None,
    as_of: datetime.date,
    chunk_size: int,
    worker_counts: list,
    repeat: int = 1,
) -> tuple:
    bound = member_bound(orders)
    counted = sql(
        "SELECT (SELECT count(*) FROM members_member WHERE id < %(b)s),"
        " (SELECT count(*) FROM members_order WHERE member_id < %(b)s)",
        {"b": bound},
    )[0]
    print(f"\n== {label}: member id < {bound:,}: {counted[0]:,} members, {counted[1]:,} orders")
    ours, theirs = {workers: [] for workers in worker_counts}, []
    for _attempt in range(repeat):
        for workers in worker_counts:
            rfm_clear()
            seconds = regroup_timed(as_of, bound, chunk_size, workers)
            ours[workers].append(seconds)
            chunks = sql("SELECT count(*) FROM jobs_jobchunk WHERE step = 'measure'")[0][0]
            print(
                f"regroup, {workers} worker(s) (chunk size {chunk_size:,}, {chunks} chunks a step):"
                f" {seconds:8.2f} s  [{step_times(as_of, seconds)}]",
                flush=True,
            )
        latest = {workers: times[-1] for workers, times in ours.items()}
        theirs.append(statement_compared(as_of, bound, latest))
    if repeat > 1:
        for workers, times in ours.items():
            ratios = [mine / statement for mine, statement in zip(times, theirs, strict=True)]
            listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
            print(
                f"ratio regroup ({workers} worker(s)) / one statement over {repeat} pairs run one"
                f" after the other: {listed}; median {statistics.median(ratios):.2f}"
            )
    fastest = min(statistics.median(times) for times in ours.values())
    return label, counted, fastest, statistics.median(theirs)


def statement_compared(as_of: datetime.date, bound: int, ours: dict[int, float]) -> float:
    """Time the one statement for `as_of`, check it gives the regroup's group sizes, print the
    ratio of each of `ours` (seconds by worker count) to it; returns its seconds."""
    theirs = one_statement_timed(as_of, bound)
    print(f"one SQL statement (UNLOGGED scratch table):      {theirs:8.2f} s", flush=True)
    members = sizes_compare(as_of)
    print(f"group sizes per store identical: yes ({members:,} members)")
    for workers, seconds in ours.items():
        print(f"ratio regroup ({workers} worker(s)) / one statement: {seconds / theirs:.2f}")
    return theirs


NEXT_NIGHT_ORDERS = """
INSERT INTO members_order (created_at, updated_at, order_no, channel, paid_at, amount,
                           refunded_amount, member_id, store_id, credited_store_id)
SELECT now(), now(), 'BENCH-' || %(tag)s || '-' || m.id, 'store',
       %(paid_at)s + (random() * interval '10 hours'), round((50 + random() * 950)::numeric, 2), 0,
       m.id, m.home_store_id, m.home_store_id
FROM members_member m ORDER BY random() LIMIT %(n)s
"""
NEXT_NIGHT_LINES = """
INSERT INTO members_orderline (quantity, amount, order_id, product_id)
SELECT 1, o.amount, o.id, p.id
FROM members_order o
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS n
      FROM members_product) p ON p.k = o.id %% p.n
WHERE o.order_no LIKE 'BENCH-' || %(tag)s || '-%%'
"""
NEXT_NIGHT_REFUNDS = """
UPDATE members_order o SET refunded_amount = CASE WHEN o.id %% 2 = 0 THEN o.amount
                                                  ELSE round(o.amount / 3, 2) END
WHERE o.id IN (SELECT id FROM members_order TABLESAMPLE SYSTEM (1)
               WHERE refunded_amount = 0 LIMIT %(n)s)
"""


def next_night(as_of: datetime.date, args) -> None:
    """A day of changes, then the next date's regroup from the full run's, against the one
    statement for that date."""
    night = as_of + datetime.timedelta(days=1)
    paid_at = datetime.datetime.combine(
        night, datetime.time(9), tzinfo=timezone.get_current_timezone()
    )
    tag = timezone.now().strftime("%Y%m%d%H%M%S")
    sql(NEXT_NIGHT_ORDERS, {"tag": tag, "paid_at": paid_at, "n": args.next_night_orders})
    sql(NEXT_NIGHT_LINES, {"tag": tag})
    sql(NEXT_NIGHT_REFUNDS, {"n": args.next_night_refunds})
    logged = sql("SELECT count(DISTINCT member_id) FROM members_memberorderchange")[0][0]
    print(
        f"\n== next night ({night}): {args.next_night_orders:,} new orders paid that day,"
        f" {args.next_night_refunds:,} refunds; {logged:,} members in the order change log"
    )
    workers, bound = args.workers[-1], member_bound(None)
    seconds = regroup_timed(night, bound, args.chunk_size, workers, anew=False)
    measured = RfmRun.objects.get(business_date=night).members_measured
    print(
        f"regroup from the {as_of} run, {workers} worker(s): {seconds:8.2f} s"
        f"  [{step_times(night, seconds)}; {measured:,} members measured again]",
        flush=True,
    )
    statement_compared(night, bound, {workers: seconds})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk-size", type=int, default=runs.DEFAULT_CHUNK_SIZE)
    parser.add_argument(
        "--growth", type=int, nargs="*", default=[100_000, 1_000_000], help="order counts"
    )
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts")
    parser.add_argument("--no-full", action="store_true", help="skip the run on all orders")
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="regroup and statement pairs on all orders (the machine is shared: the median ratio)",
    )
    parser.add_argument("--next-night-orders", type=int, default=10_000)
    parser.add_argument("--next-night-refunds", type=int, default=500)
    args = parser.parse_args()

    call_command("migrate", "--noinput", verbosity=0)
    rest_parts_timed()
    bench_orders = "SELECT id FROM members_order WHERE order_no LIKE 'BENCH-%%'"
    sql(f"DELETE FROM members_orderline WHERE order_id IN ({bench_orders})")  # an earlier
    sql(f"DELETE FROM members_order WHERE id IN ({bench_orders})")  # next night's
    started = time.perf_counter()
    sql("VACUUM ANALYZE members_order")
    sql("VACUUM ANALYZE members_member")
    print(f"== migrated; VACUUM ANALYZE orders, members: {time.perf_counter() - started:.1f} s")
    as_of = timezone.localdate() - datetime.timedelta(days=1)
    scales = [(f"~{n / 1e6:g}M orders", n) for n in args.growth]
    if not args.no_full:
        scales.append(("all orders", None))
    results = [
        scale_run(label, n, as_of, args.chunk_size, args.workers, args.repeat if n is None else 1)
        for label, n in scales
    ]
    sql(f"DROP TABLE IF EXISTS {SCRATCH}")

    print("\n== growth (median regroup, fastest worker count | median statement | ratio, <= 1.5)")
    for label, (members, orders), ours, theirs in results:
        print(
            f"{label:>14}: {orders:>11,} orders {members:>10,} members"
            f"  {ours:8.2f} s | {theirs:8.2f} s | {ours / theirs:5.2f}"
        )
    if not args.no_full and args.next_night_orders is not None:
        next_night(as_of, args)


if __name__ == "__main__":
    main()
