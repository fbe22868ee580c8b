"""Seed a large demo chain on PostgreSQL and print how fast it went.

    .venv/bin/python bench/seed_scale.py [--members 1000000]

Recreates the database named in DATABASE_URL (default postgres://postgres@127.0.0.1:5432/siyu_bench),
migrates it, runs `manage.py seed_demo --members N`, and prints the wall time and the rows per
second for members, orders and order lines. seed_demo writes each member's orders together; a
chain's POS feed writes them as they are paid, so the orders are then stored in payment order
(CLUSTER on the paid_at index; `--member-order` keeps the seed's order), which the regroup's
member-range reads must not be flattered by. The database is left in place for other benchmarks.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/siyu_bench"
COUNTED_TABLES = {
    "members": "members_member",
    "orders": "members_order",
    "order lines": "members_orderline",
    "refunds": "members_refund",
    "member tags": "members_membertag",
    "stores": "members_store",
    "staff": "members_user",
}


def recreate_database(url: str) -> None:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin_url = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(url: str, *args: str) -> float:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            label: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for label, table in COUNTED_TABLES.items()
        }


def arrival_order(url: str) -> float:
    """Store the orders in payment order, as a POS feed writes them, and re-analyse them."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CLUSTER members_order USING order_paid")
        conn.execute("VACUUM ANALYZE members_order")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument(
        "--member-order", action="store_true", help="keep each member's orders together"
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)

    print(f"== recreating {urlparse(url).path.lstrip('/')}", flush=True)
    recreate_database(url)
    migrate_seconds = manage(url, "migrate", "--noinput", "-v", "0")
    print(f"== migrated in {migrate_seconds:.1f} s; seeding {args.members:,} members", flush=True)
    seed_seconds = manage(url, "seed_demo", "--members", str(args.members))
    counts = row_counts(url)
    if not args.member_order:
        print(f"== orders stored in payment order in {arrival_order(url):.1f} s", flush=True)

    print(f"\n== seed_demo --members {args.members:,}: {seed_seconds:.1f} s wall time")
    for label, count in counts.items():
        print(f"{label:>12}: {count:>12,} rows  {count / seed_seconds:>10,.0f} rows/s")
    total = sum(counts[k] for k in ("members", "orders", "order lines", "refunds", "member tags"))
    print(f"{'all bulk':>12}: {total:>12,} rows  {total / seed_seconds:>10,.0f} rows/s")


if __name__ == "__main__":
    main()
