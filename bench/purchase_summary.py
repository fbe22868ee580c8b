"""Benchmark the purchase-summary refresh (members.purchases) on a large database (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/siyu_bench .venv/bin/python \\
        bench/purchase_summary.py [--chunk-size 50000]

On a seeded database (bench/seed_scale.py): clears the summary and its runs, then times

- a full refresh as of the day before yesterday (what the first night, or `--full`, costs);
- the next night's refresh as of yesterday, brought forward from it: only the members with an
  order paid yesterday (or changed since) are rewritten;

and checks that the brought-forward rows equal a full rebuild's. The database keeps the summary
as of yesterday, for bench/segment_preview.py. Orders are only read.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/siyu_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"

import django  # noqa: E402 (after the environment above)

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from jobs.services import job_run_restart  # noqa: E402
from members.purchases import purchase_summary_refresh, runs  # noqa: E402

CHECKSUM = """
SELECT count(*), sum(member_id), sum(product_id), sum(last_order_id),
       sum(last_bought_on - DATE '2000-01-01')
FROM members_memberpurchase
"""


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def summary_clear() -> None:
    sql("TRUNCATE members_memberpurchase, members_purchasestage")
    job_runs = "SELECT job_run_id FROM members_purchasesummaryrun"
    sql(f"DELETE FROM jobs_jobchunk WHERE run_id IN ({job_runs})")
    sql("UPDATE members_purchasesummaryrun SET previous_id = NULL")
    sql("DELETE FROM members_purchasesummaryrun")
    sql("DELETE FROM jobs_jobrun WHERE job = %s", [runs.JOB])


def refresh_timed(day: datetime.date, *, full: bool, chunk_size: int):
    started = time.perf_counter()
    run = purchase_summary_refresh(business_date=day, full=full, chunk_size=chunk_size)
    return run, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk-size", type=int, default=runs.DEFAULT_CHUNK_SIZE)
    args = parser.parse_args()
    if "bench" not in settings.DATABASES["default"]["NAME"]:
        sys.exit("refusing to run: the database name must contain 'bench'")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    summary_clear()

    run, seconds = refresh_timed(
        yesterday - datetime.timedelta(days=1), full=True, chunk_size=args.chunk_size
    )
    print(f"full refresh as of {run.business_date}: {run.rows:,} rows in {seconds:.1f} s")
    run, seconds = refresh_timed(yesterday, full=False, chunk_size=args.chunk_size)
    rewritten = run.job_run.detail["members_rewritten"]
    print(
        f"next night as of {run.business_date}: {rewritten:,} members rewritten "
        f"({run.rows:,} rows) in {seconds:.1f} s"
    )
    brought_forward = sql(CHECKSUM)
    sql("VACUUM ANALYZE members_memberpurchase")
    sql("TRUNCATE members_memberpurchase")
    # The same date again, as a full run: its job run restarted, nothing brought forward.
    job_run_restart(run.job_run)
    reset = "UPDATE members_purchasesummaryrun SET finished_at = NULL, previous_id = NULL"
    sql(f"{reset} WHERE id = %s", [run.pk])
    run, seconds = refresh_timed(yesterday, full=True, chunk_size=args.chunk_size)
    print(f"full rebuild as of {run.business_date} for comparison: {seconds:.1f} s")
    same = sql(CHECKSUM) == brought_forward
    print(f"brought-forward rows identical to the full rebuild: {'yes' if same else 'NO'}")
    sql("VACUUM ANALYZE members_memberpurchase")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
