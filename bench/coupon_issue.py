"""Benchmark issuing one coupon template to 100,000 members against one hand-written INSERT.

    .venv/bin/python bench/coupon_issue.py [--members 100000] [--chunk-size 50000] [--repeat 2]

PostgreSQL only. Recreates its own scratch database `siyu_bench_coupons` on DATABASE_URL's
server (default postgres://postgres@127.0.0.1:5432), migrates it, and writes a few stores and
`--members` members with one INSERT ... SELECT generate_series. Then, `--repeat` times:

(a) an HQ batch of a fresh template to the HQ segment "全部会员" (a rule that matches everyone),
    run through the real job in-process: the coordinator plans the chunks and runs them one after
    another, as a single Celery worker would (the template's row lock serialises a batch's chunks
    anyway); wall clock;
(b) the coupons emptied, one hand-written `INSERT INTO coupons_coupon ... SELECT ... FROM
    members_member` writing the same rows (same columns, codes drawn the same way); wall clock.

Prints both, the ratio (target <= 2) and where the job's time went.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH_DB = "siyu_bench_coupons"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    return parser.parse_args()


def scratch_url() -> str:
    """DATABASE_URL's server, always the scratch database (never the one DATABASE_URL names)."""
    server = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x"))
    if not server.scheme.startswith("postgres"):
        raise SystemExit("PostgreSQL only: set DATABASE_URL=postgres://...")
    return urlunparse(server._replace(path=f"/{SCRATCH_DB}"))


def recreate_database(url: str) -> None:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunparse(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


ARGS = parse_args()
os.environ["DATABASE_URL"] = scratch_url()
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
recreate_database(os.environ["DATABASE_URL"])

import django  # noqa: E402 (after the database exists)

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from coupons.models import BatchSource, CouponKind, CouponTemplate, IssueBatch  # noqa: E402
from coupons.services.issuing_chunk import coupon_code_sql  # noqa: E402
from coupons.services.issuing_job import batch_issue, batch_job_run  # noqa: E402
from coupons.services.issuing_rules import validity_for  # noqa: E402
from members.models import Region, Segment, Store, StoreGroup, User  # noqa: E402

STORES = 20

MEMBERS_INSERT = """
INSERT INTO members_member (phone, name, gender, birthday, joined_at, home_store_id, source,
                            level, points, marketing_opt_out, created_at, updated_at)
SELECT '139' || lpad(i::text, 8, '0'), '会员' || i, 'F',
       date '1980-01-01' + (i %% 9000), date '2020-01-01' + (i %% 2000),
       %(first_store)s + (i %% %(stores)s), 'in_store', 1, 0, false, now(), now()
FROM generate_series(1, %(members)s) AS i
"""

# The same rows the job writes, by hand: every member, one statement.
ONE_STATEMENT = """
INSERT INTO coupons_coupon (code, template_id, batch_id, member_id, store_id, face_value,
                            min_spend, valid_from, valid_until, status, issued_at)
SELECT {code}, %(template)s, %(batch)s, m.id, m.home_store_id, %(face)s, %(min_spend)s,
       %(valid_from)s, %(valid_until)s, 'issued', now()
FROM members_member m
"""


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def chain_create(members: int) -> tuple[User, Segment]:
    region = Region.objects.create(name="华东")
    group = StoreGroup.objects.create(name="一店群")
    stores = Store.objects.bulk_create(
        Store(code=f"S{n:04d}", name=f"门店{n}", region=region, store_group=group)
        for n in range(STORES)
    )
    started = time.perf_counter()
    sql(MEMBERS_INSERT, {"first_store": stores[0].pk, "stores": STORES, "members": members})
    sql("VACUUM ANALYZE members_member")
    print(f"== {members:,} members in {STORES} stores: {time.perf_counter() - started:.2f} s")
    admin = User.objects.create(username="admin", role="hq_admin", is_staff=True)
    segment = Segment.objects.create(name="全部会员", rule={"op": "and", "items": []})
    return admin, segment


def template_create(n: int) -> CouponTemplate:
    return CouponTemplate.objects.create(
        name=f"无门槛10元券{n}",
        face_value=Decimal("10.00"),
        kind=CouponKind.NO_THRESHOLD_SMALL,
        valid_days=30,
        status="active",
    )


def coupons_empty() -> None:
    sql("TRUNCATE coupons_coupon CASCADE")
    sql("VACUUM ANALYZE coupons_coupon")


def job_timed(n: int, admin: User, segment: Segment, chunk_size: int) -> tuple[float, IssueBatch]:
    batch = IssueBatch.objects.create(
        template=template_create(n), source=BatchSource.SEGMENT, segment=segment, created_by=admin
    )
    started = time.perf_counter()
    batch = batch_issue(batch=batch, chunk_size=chunk_size)
    return time.perf_counter() - started, batch


def chunk_times(batch: IssueBatch) -> str:
    chunks = batch_job_run(batch).chunks.order_by("lo")
    seconds = [(c.finished_at - c.started_at).total_seconds() for c in chunks]
    return f"{len(seconds)} chunks, {sum(seconds):.2f} s in chunks (max {max(seconds):.2f} s)"


def one_statement_timed(batch: IssueBatch) -> tuple[float, int]:
    template = batch.template
    valid_from, valid_until = validity_for(template, issued_on=timezone.localdate())
    params = {
        "template": template.pk,
        "batch": batch.pk,
        "face": template.face_value,
        "min_spend": template.min_spend,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(ONE_STATEMENT.format(code=coupon_code_sql()), params)
        rows = cursor.rowcount
    return time.perf_counter() - started, rows


def main() -> None:
    args = ARGS
    call_command("migrate", "--noinput", verbosity=0)
    admin, segment = chain_create(args.members)
    results = []
    for n in range(1, args.repeat + 1):
        coupons_empty()
        ours, batch = job_timed(n, admin, segment, args.chunk_size)
        assert batch.issued_count == args.members, batch.issued_count
        print(
            f"\n[{n}] batch job (chunk size {args.chunk_size:,}): {ours:7.2f} s"
            f"  [{chunk_times(batch)}]",
            flush=True,
        )
        coupons_empty()
        theirs, rows = one_statement_timed(batch)
        assert rows == args.members, rows
        print(f"[{n}] one INSERT ... SELECT:              {theirs:7.2f} s", flush=True)
        results.append((ours, theirs))
    ours, theirs = min(r[0] for r in results), min(r[1] for r in results)
    print(
        f"\n== {args.members:,} coupons: batch job {ours:.2f} s | one statement {theirs:.2f} s"
        f" | ratio {ours / theirs:.2f} (target <= 2)"
    )


if __name__ == "__main__":
    main()
