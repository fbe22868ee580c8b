"""order_attribution (Python) and order_attribution_sql (its SQL twin) credit every case alike."""

import random
from types import SimpleNamespace

import pytest
from django.db import connection

from members.models import ONLINE_CHANNELS, Channel
from members.services import AttributionColumns, order_attribution, order_attribution_sql

pytestmark = pytest.mark.django_db

COLUMNS = AttributionColumns(
    store="t.store",
    guide="t.guide",
    channel="t.channel",
    member="t.member",
    member_guide="t.member_guide",
    member_guide_store="t.member_guide_store",
    member_home_store="t.member_home_store",
)


def random_case(rng: random.Random) -> dict:
    member = rng.choice([None, rng.randrange(1, 50)])
    member_guide = rng.choice([None, rng.randrange(1, 9)]) if member else None
    return {
        "store": rng.randrange(1, 5),
        "guide": rng.choice([None, rng.randrange(1, 9)]),
        "channel": rng.choice([*Channel.values, "unknown"]),
        "member": member,
        "member_guide": member_guide,
        "member_guide_store": rng.randrange(1, 5) if member_guide else None,
        "member_home_store": rng.randrange(1, 5) if member else None,
    }


def python_credit(case: dict) -> tuple:
    member = None
    if case["member"]:
        guide = SimpleNamespace(store_id=case["member_guide_store"])
        member = SimpleNamespace(
            pk=case["member"],
            guide_id=case["member_guide"],
            guide=guide,
            home_store_id=case["member_home_store"],
        )
    return order_attribution(
        store=SimpleNamespace(pk=case["store"]),
        guide=SimpleNamespace(pk=case["guide"]) if case["guide"] else None,
        member=member,
        channel=case["channel"],
    )


def sql_credit(cursor, case: dict) -> tuple:
    store_sql, guide_sql = order_attribution_sql(COLUMNS)
    # typed, since a NULL parameter alone has no type for Postgres to match the CASE branches on
    inputs = ", ".join(
        f"CAST(%({name})s AS {'text' if name == 'channel' else 'bigint'}) AS {name}"
        for name in case
    )
    cursor.execute(f"SELECT {store_sql}, {guide_sql} FROM (SELECT {inputs}) AS t", case)
    return tuple(cursor.fetchone())


def test_python_and_sql_attribution_agree_on_random_orders():
    rng = random.Random(20240105)
    cases = [random_case(rng) for _ in range(500)]

    with connection.cursor() as cursor:
        disagreements = [c for c in cases if python_credit(c) != sql_credit(cursor, c)]

    assert not disagreements
    # every branch was exercised: in store, online to a bound guide, online to the home store
    online = {c["channel"] for c in cases} & set(ONLINE_CHANNELS)
    assert any(c["channel"] not in ONLINE_CHANNELS for c in cases)
    assert any(c["channel"] in online and c["member_guide"] for c in cases)
    assert any(c["channel"] in online and c["member"] and not c["member_guide"] for c in cases)
