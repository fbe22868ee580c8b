"""The set-based order import (Postgres) gives what the Python path gives, row for row."""

import random
from decimal import Decimal

import pytest
from django.db import transaction

from members.imports.orders import OrderImporter
from members.imports.orders_sql import ORDER_COLUMNS
from members.models import ImportKind, Member, Order
from tests.imports.helpers import run_import
from tests.members.factories import (
    GuideFactory,
    MemberFactory,
    OrderFactory,
    StoreManagerFactory,
)

ORDERS = ImportKind.ORDERS


def test_the_upsert_writes_every_column_of_an_order():
    # every column but the key and those the database computes (net_cents)
    fields = {
        f.column
        for f in Order._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    }

    assert set(ORDER_COLUMNS) == fields


@pytest.fixture
def world(store_a, store_b, guide_a, guide_b):
    """Members bound and not, in both stores; guides usable and not; an order partly refunded."""
    GuideFactory(store=store_a, guide_code="GOFF", is_active=False)
    StoreManagerFactory(store=store_a, guide_code="MGR")
    members = [
        MemberFactory(home_store=store, guide=guide)
        for store, guide in [
            (store_a, guide_a),
            (store_a, None),
            (store_b, guide_b),
            (store_b, None),
        ]
    ]
    OrderFactory(store=store_a, order_no="N1", amount=Decimal("100"), refunded_amount=Decimal("80"))
    codes = ["", "", guide_a.guide_code, guide_b.guide_code, "GOFF", "MGR", "NOPE"]
    phones = ["", "", *(m.phone for m in members), "13800000000", "1.38E+10"]
    return {"members": members, "guide_codes": codes, "phones": phones}


def random_rows(world, rng: random.Random, count: int) -> list[list[str]]:
    return [
        [
            f"N{rng.randrange(100)}",
            rng.choice(world["phones"]),
            rng.choice(["A001", "A001", "A001", "B001", "ZZZ"]),
            rng.choice(world["guide_codes"]),
            rng.choice(["", "", "", "store", "mini_program", "直播", "other", "tiktok"]),
            rng.choice(
                ["2024-01-05 14:30", "2024/1/6", "2024年2月1日 09:15:30", "bad"][
                    : 3 + (rng.random() < 0.2)
                ]
            ),
            rng.choice(
                ["302.00", "1", "50", "79.99", "80", "12.345", "-5"][: 5 + 2 * (rng.random() < 0.2)]
            ),
        ]
        for _ in range(count)
    ]


def touched(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    """The same rows, a few with another amount or channel (a corrected file)."""
    changed = []
    for row in rows:
        row = list(row)
        if rng.random() < 0.2:
            row[6] = rng.choice(["302.00", "1", "80"])
        if rng.random() < 0.1:
            row[4] = rng.choice(["", "livestream"])
        changed.append(row)
    return changed


def files(csv_file, world) -> list:
    """A random file, that file corrected, the corrected one again, and another random one; each
    starts with the partly refunded order N1 at, then below, then above its refunded 80 yuan."""
    rng = random.Random(20240105)
    first = random_rows(world, rng, 150)
    second = touched(first, rng)
    contents = [first, second, second, random_rows(world, rng, 150)]
    refunded = [
        ["N1", "", "A001", "", "", "2024-01-05", amount] for amount in ("80", "79.99", "80", "100")
    ]
    return [
        csv_file(ORDERS, *(",".join(row) for row in [n1, *rows]), name=f"f{number}.csv")
        for number, (n1, rows) in enumerate(zip(refunded, contents, strict=True))
    ]


def outcome(monkeypatch, set_based: bool, files, rebind) -> tuple:
    """Import the files in turn (re-binding a member between them), then undo everything."""
    monkeypatch.setattr(OrderImporter, "set_based_on_postgres", set_based)
    with transaction.atomic():
        runs = []
        for number, path in enumerate(files):
            if number:
                rebind()
            result = run_import(ORDERS, path)
            counts = result.counts
            runs.append(
                (counts.read, counts.created, counts.updated, counts.rejected, result.run.errors)
            )
        orders = sorted(
            Order.objects.values_list(
                "store_id",
                "order_no",
                "member_id",
                "guide_id",
                "channel",
                "paid_at",
                "amount",
                "refunded_amount",
                "credited_store_id",
                "credited_guide_id",
            )
        )
        transaction.set_rollback(True)
    return runs, orders


@pytest.mark.postgres
@pytest.mark.django_db
def test_both_paths_give_the_same_orders_counts_and_bad_rows_on_random_files(
    csv_file, world, monkeypatch
):
    paths = files(csv_file, world)
    bound = world["members"][0]
    other_guide = GuideFactory(store=bound.home_store)

    def rebind():
        # after the first file, the member moves to another guide: credit already given stays
        Member.objects.filter(pk=bound.pk).update(guide=other_guide)

    python = outcome(monkeypatch, False, paths, rebind)
    sql = outcome(monkeypatch, True, paths, rebind)

    assert sql == python
    runs, orders = python
    assert all(run[3] for run in runs)  # every file had bad rows
    assert runs[1][2] and not runs[2][2]  # the corrected file updated; the same again did not
