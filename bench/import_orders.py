"""Benchmark: `import_orders` on a large CSV against Postgres, with `COPY` of the same rows as the
baseline. Prints rows per second for both and their ratio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/siyu_bench python bench/import_orders.py
    ... python bench/import_orders.py --rows 100000 --reimport

The database is created and migrated when missing, and seeded (50 stores, 4 guides each, 100,000
members, 70% of them bound to a guide) when it holds no members. Every run empties the order
tables first, so the import always creates its rows; that is why the database name must contain
"bench". The CSV is written to bench/out/ (ignored by git).
"""

import argparse
import csv
import os
import random
import resource
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

STORES = 50
GUIDES_PER_STORE = 4
MEMBERS = 100_000
SEED = 20240105


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="order rows in the CSV")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        help="rows per transaction (default: the importer's)",
    )
    parser.add_argument("--reimport", action="store_true", help="also time a second, no-op run")
    return parser.parse_args()


def database_settings() -> dict:
    import environ

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at a Postgres database, e.g. .../siyu_bench")
    config = environ.Env.db_url_config(url)
    if "bench" not in config["NAME"]:
        sys.exit(f"refusing to empty the orders of {config['NAME']!r}: use a *bench* database")
    return config


def ensure_database(config: dict) -> None:
    import psycopg

    conninfo = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            print(f"creating database {config['NAME']}")
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def seed_if_empty() -> None:
    from members.models import Member, Region, Role, Store, User

    if Member.objects.exists():
        return
    started = time.perf_counter()
    rng = random.Random(SEED)
    region, _ = Region.objects.get_or_create(name="基准片区")
    stores = Store.objects.bulk_create(
        Store(code=f"BS{i:03d}", name=f"基准门店{i}", region=region) for i in range(STORES)
    )
    guides = User.objects.bulk_create(
        User(
            username=f"bench-guide-{s.code}-{g}",
            role=Role.GUIDE,
            store=s,
            guide_code=f"BG{s.code}{g}",
            password="!",
        )
        for s in stores
        for g in range(GUIDES_PER_STORE)
    )
    guides_of = {s.pk: [g for g in guides if g.store_id == s.pk] for s in stores}
    members = []
    for i in range(MEMBERS):
        store = rng.choice(stores)
        members.append(
            Member(
                phone=f"13{i:09d}",
                name=f"会员{i}",
                joined_at=date(2015, 1, 1) + timedelta(days=rng.randrange(3000)),
                home_store=store,
                guide=rng.choice(guides_of[store.pk]) if rng.random() < 0.7 else None,
            )
        )
    Member.objects.bulk_create(members, batch_size=5000)
    print(
        f"seeded {STORES} stores, {len(guides)} guides, {MEMBERS} members "
        f"in {time.perf_counter() - started:.1f}s"
    )


def write_csv(path: Path, rows: int) -> None:
    from members.models import Member, Store, User

    rng = random.Random(SEED + rows)
    phones = list(Member.objects.values_list("phone", flat=True))
    stores = list(Store.objects.values_list("pk", "code"))
    guide_codes = {}
    for store_id, code in User.objects.guides().values_list("store_id", "guide_code"):
        guide_codes.setdefault(store_id, []).append(code)
    start = datetime(2024, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["order_no", "phone", "store_code", "guide_code", "channel", "paid_at", "amount"]
        )
        for i in range(rows):
            store_id, store_code = rng.choice(stores)
            channel = rng.choices(["", "mini_program", "livestream"], [70, 20, 10])[0]
            guide = (
                rng.choice(guide_codes.get(store_id, [""]))
                if not channel and rng.random() < 0.6
                else ""
            )
            paid_at = start + timedelta(seconds=rng.randrange(300 * 86400))
            writer.writerow(
                [
                    f"B{i:09d}",
                    rng.choice(phones),
                    store_code,
                    guide,
                    channel,
                    paid_at.strftime("%Y-%m-%d %H:%M:%S"),
                    f"{rng.randrange(1000, 200000) / 100:.2f}",
                ]
            )


def empty_orders() -> None:
    from django.db import connection

    from members.models import Order

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Order._meta.db_table} CASCADE")


def time_import(path: Path, chunk_size: int | None) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("import_orders", str(path), chunk_size=chunk_size)
    return time.perf_counter() - started


def time_copy(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_orders")
        cursor.execute(
            "CREATE TABLE bench_copy_orders (order_no text, phone text, store_code text, "
            "guide_code text, channel text, paid_at timestamp, amount numeric(12, 2))"
        )
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        path.open("rb") as source,
        cursor.copy("COPY bench_copy_orders FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
    ):
        while block := source.read(1 << 20):
            copy.write(block)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy_orders")
    return elapsed


def main():
    args = parse_args()
    config = database_settings()
    ensure_database(config)

    import django

    django.setup()
    from django.core.management import call_command

    from members.models import Order

    call_command("migrate", verbosity=0, interactive=False)
    seed_if_empty()

    path = ROOT / "bench" / "out" / f"orders-{args.rows}.csv"
    started = time.perf_counter()
    write_csv(path, args.rows)
    size_mb = path.stat().st_size / 1e6
    print(f"wrote {args.rows:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - started:.1f}s")

    empty_orders()
    seconds = time_import(path, args.chunk_size)
    created = Order.objects.count()
    import_rate = args.rows / seconds
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"import_orders: {args.rows:,} rows in {seconds:.1f}s = {import_rate:,.0f} rows/s "
        f"({created:,} orders in the table; peak RSS {peak_mb:.0f} MB)"
    )

    if args.reimport:
        seconds_again = time_import(path, args.chunk_size)
        print(
            f"re-import (nothing changes): {seconds_again:.1f}s = "
            f"{args.rows / seconds_again:,.0f} rows/s"
        )

    copy_seconds = time_copy(path)
    copy_rate = args.rows / copy_seconds
    print(f"COPY baseline: {args.rows:,} rows in {copy_seconds:.1f}s = {copy_rate:,.0f} rows/s")
    print(f"ratio: COPY is {copy_rate / import_rate:.1f}x faster than import_orders")


if __name__ == "__main__":
    main()
