"""Benchmark: the live segment preview (`segment_preview`) on a large database, HQ and store
manager scope, against a plain `SELECT count(*) FROM members_member` measured in the same run.
Prints each preview's wall time (median of 3) and its ratio to the baseline; target < 1 s at
1M members. Then times HQ's rules both ways, through MemberRfm alone (HQ's path) and joining
every member to their MemberRfm row (the path stores take), and checks they agree.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/siyu_bench python bench/segment_preview.py

The database must already be seeded (`seed_demo --members 1000000`); nothing is dropped or
reseeded. Only when `members_memberrfm` is empty (the regroup job that fills it is built
elsewhere) does the bench fill it once, with one INSERT ... SELECT from the orders: bench-only
figures (fixed R/F/M thresholds) so that RFM-based rules have rows to read. Likewise, when no
purchase summary has been refreshed (members.purchases), it is built once as of yesterday, as the
nightly job would. No other table is written; the users are unsaved instances (scope only reads
their role and store).
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

RUNS = 3
TARGET_SECONDS = 1.0

# Bench-only RFM figures: R recent <= 90 days, F high > 1 order in 365 days, M high > 500 yuan.
FILL_MEMBER_RFM = """
INSERT INTO members_memberrfm (member_id, as_of, recency_days, frequency, monetary,
    lifetime_days, "group", first_purchase_on, last_purchase_on, order_count, total_spent,
    home_store_id)
SELECT m.id, d.as_of, d.as_of - o.last_on, coalesce(o.f, 0), coalesce(o.m, 0),
    o.last_on - o.first_on,
    CASE WHEN o.n IS NULL THEN 'no_purchase'
    ELSE (ARRAY['ordinary_winback', 'important_winback', 'ordinary_retention',
                'important_retention', 'ordinary_development', 'important_development',
                'ordinary_value', 'important_value'])[
        1 + (d.as_of - o.last_on <= 90)::int * 4 + (o.f > 1)::int * 2 + (o.m > 500)::int]
    END,
    o.first_on, o.last_on, coalesce(o.n, 0), coalesce(o.spent, 0), m.home_store_id
FROM members_member m
CROSS JOIN (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 AS as_of) d
LEFT JOIN (
    SELECT member_id, count(*) AS n, sum(amount - refunded_amount) AS spent,
        min((paid_at AT TIME ZONE 'Asia/Shanghai')::date) AS first_on,
        max((paid_at AT TIME ZONE 'Asia/Shanghai')::date) AS last_on,
        count(*) FILTER (WHERE paid_at >= now() - interval '365 days') AS f,
        coalesce(sum(amount - refunded_amount)
            FILTER (WHERE paid_at >= now() - interval '365 days'), 0) AS m
    FROM members_order
    WHERE member_id IS NOT NULL AND refunded_amount < amount
    GROUP BY member_id
) o ON o.member_id = m.id
"""


def median_seconds(action) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _scalar(connection, sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def rfm_rows(connection) -> int:
    return _scalar(connection, "SELECT count(*) FROM members_memberrfm")


def wait_for_regroup(connection, *, seconds: int = 900):
    """Another process may be regrouping this database (it rewrites members_memberrfm): wait
    until no regroup job run is in progress, so the figures read a settled table."""
    running = "SELECT count(*) FROM jobs_jobrun WHERE job LIKE '%%regroup%%' AND status = 'running'"
    deadline = time.monotonic() + seconds
    while _scalar(connection, running) and time.monotonic() < deadline:
        print("a regroup is running on this database; waiting ...")
        time.sleep(15)


def ensure_member_rfm(connection):
    wait_for_regroup(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM members_memberrfm)")
        if cursor.fetchone()[0]:
            return
        print("members_memberrfm is empty: filling it once from the orders (bench-only) ...")
        started = time.perf_counter()
        cursor.execute(FILL_MEMBER_RFM)
        filled = cursor.rowcount
        cursor.execute("ANALYZE members_memberrfm")
        print(f"  {filled:,} rows in {time.perf_counter() - started:.1f} s")


# Tables written in bulk by the seed and read by the previews: VACUUM ANALYZE them first, as
# autovacuum would after such writes on a production server (it is off on the bench machine), so
# that their index-only scans (member tags by tag) read the index alone.
VACUUMED = ("members_member", "members_membertag")


def vacuum_seeded(connection):
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in VACUUMED:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"VACUUM ANALYZE {', '.join(VACUUMED)}: {time.perf_counter() - started:.1f} s")


def report_statistics(connection):
    """The plans depend on the planner's statistics of the tables the jobs rewrite in bulk (they
    ANALYZE them at their finish); say when they were taken, as autovacuum may be off."""
    query = """
        SELECT relname, greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables
        WHERE relname IN ('members_memberrfm', 'members_memberpurchase') ORDER BY relname
    """
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        print(f"autovacuum: {cursor.fetchone()[0]}")
        cursor.execute(query)
        for table, analyzed in cursor.fetchall():
            print(f"  {table} last analyzed: {analyzed or 'never (plans may be poor)'}")


def ensure_purchase_summary(yesterday):
    """The "bought ..." rules read the nightly purchase summary: build it once if missing."""
    from members.models import PurchaseSummaryRun
    from members.purchases import purchase_summary_refresh

    run = PurchaseSummaryRun.objects.filter(finished_at__isnull=False).first()
    if run is None:
        print("no purchase summary yet: refreshing it once as of yesterday ...")
        started = time.perf_counter()
        run = purchase_summary_refresh(business_date=yesterday)
        print(f"  {run.rows:,} rows in {time.perf_counter() - started:.1f} s")
    print(f"purchase summary as of {run.business_date} ({run.rows:,} rows written by that run)")


def rules(tag_id: int, series: str) -> dict:
    def rule(*items, op="and"):
        return {"op": op, "items": list(items)}

    return {
        "gold card (avg ticket >= 400)": rule({"type": "average_ticket", "min": "400"}),
        "important value AND birthday this month": rule(
            {"type": "rfm_group", "groups": ["important_value"]},
            {"type": "birthday_month", "when": "this"},
        ),
        f"bought {series} in 90 days": rule(
            {"type": "bought", "scope": "series", "value": series, "days": 90}
        ),
        "has tag": rule({"type": "has_tag", "tag": tag_id}),
        f"bought {series} in 90 days OR tag": rule(
            {"type": "bought", "scope": "series", "value": series, "days": 90},
            {"type": "has_tag", "tag": tag_id},
            op="or",
        ),
        "marketing window (days 40-60)": rule({"type": "purchase_phase", "phases": ["marketing"]}),
        "all members (empty rule)": rule(),
    }


def main():
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from members.models import Member, MemberTag, Role, Segment, Store, User
    from members.segments.selectors import segment_preview

    if "bench" not in settings.DATABASES["default"]["NAME"]:
        sys.exit("refusing to run: the database name must contain 'bench'")
    ensure_member_rfm(connection)
    today = timezone.localdate()
    ensure_purchase_summary(today - datetime.timedelta(days=1))
    vacuum_seeded(connection)
    report_statistics(connection)
    members = Member.objects.count()
    busiest = Member.objects.values("home_store").annotate(n=Count("pk")).order_by("-n").first()
    store = Store.objects.get(pk=busiest["home_store"])
    tag_id = MemberTag.objects.values("tag").annotate(n=Count("pk")).order_by("-n").first()["tag"]
    hq = User(username="bench-hq", role=Role.HQ_ADMIN)
    manager = User(username="bench-manager", role=Role.STORE_MANAGER, store=store)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM members_member")
            cursor.fetchone()

    rfm_before = rfm_rows(connection)
    base_seconds = median_seconds(baseline)
    print(f"members: {members:,}; store for the manager: {store.code} ({busiest['n']:,} members)")
    print(f"baseline SELECT count(*) FROM members_member: {base_seconds * 1000:.0f} ms")
    print(f"{'rule':<48} {'scope':<8} {'members':>9} {'median':>9} {'x base':>7}  target")
    slowest = 0.0
    cases = [(name, rule, None) for name, rule in rules(tag_id, "紧致系列").items()]
    gold = Segment(rule=rules(tag_id, "紧致系列")["gold card (avg ticket >= 400)"])
    marketing = rules(tag_id, "紧致系列")["marketing window (days 40-60)"]
    cases.append(("sub-segment: gold card base + marketing window", marketing, gold))
    for name, rule, base in cases:
        for scope, user in (("HQ", hq), ("manager", manager)):
            if base is not None and user is hq:
                continue
            own_store = store if user is manager else None
            result = {}

            def preview(rule=rule, user=user, base=base, own_store=own_store, result=result):
                result["p"] = segment_preview(
                    rule=rule, user=user, base=base, store=own_store, today=today
                )

            seconds = median_seconds(preview)
            slowest = max(slowest, seconds)
            verdict = "ok" if seconds < TARGET_SECONDS else "SLOW"
            print(
                f"{name:<48} {scope:<8} {result['p'].member_count:>9,} "
                f"{seconds * 1000:>7.0f}ms {seconds / base_seconds:>7.1f}  {verdict}"
            )
    print(f"slowest preview: {slowest * 1000:.0f} ms (target < {TARGET_SECONDS * 1000:.0f} ms)")
    members_path_compared(cases, today, hq)
    rfm_after = rfm_rows(connection)
    print(f"members_memberrfm rows: {rfm_before:,} before, {rfm_after:,} after")
    if rfm_after != rfm_before:
        print("WARNING: another process rewrote members_memberrfm during the run; rerun.")


def members_path_compared(cases, today, hq):
    """HQ's previews read MemberRfm alone (members added or moved since the last regroup from
    members_member); time each rule both ways in the same run, the members path being the one
    joining every member to their MemberRfm row (what stores and guides take), and check that
    both give the same figures per store."""
    from django.db.models import Q

    from members.models import Member
    from members.segments.selectors import _per_store, _per_store_from_member_rfm, rule_members_q

    def key(rows):
        return sorted((r["home_store_id"], r["n"], r["spent"], r["orders"]) for r in rows if r["n"])

    print(f"\nHQ: {'rule':<46} {'members path':>13} {'MemberRfm':>10}  ratio")
    for name, rule, base in cases:
        if base is not None:
            continue
        q = rule_members_q(rule=rule, today=today) or Q()
        result = {}

        def joined_path(q=q, result=result):
            result["a"] = _per_store(Member.objects.filter(q))

        def alone_path(q=q, result=result):
            result["b"] = _per_store_from_member_rfm(q, hq)

        joined, alone = median_seconds(joined_path), median_seconds(alone_path)
        if key(result["a"]) != key(result["b"]):
            raise SystemExit(f"{name}: the two paths disagree")
        print(
            f"    {name:<46} {joined * 1000:>11.0f}ms {alone * 1000:>8.0f}ms  {joined / alone:5.1f}"
        )
    print("both paths give the same figures per store for every rule")


if __name__ == "__main__":
    main()
