"""Return on coupons: the selector's figures, store J from DOMAIN.md, a brute-force recomputation
on random data, and the user's scope."""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from coupons.models import CouponKind, CouponStatus
from coupons.selectors import RoiBy, RoiFilter, coupon_roi
from jobs.dates import month_window
from tests.coupons.factories import CouponFactory, CouponTemplateFactory, IssueBatchFactory
from tests.coupons.factories_roi import RedemptionFactory
from tests.members.factories import (
    MemberFactory,
    RegionFactory,
    RegionManagerFactory,
    StoreFactory,
    StoreGroupFactory,
    StoreManagerFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = month_window(date(2025, 10, 1))


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def coupon(store, face: str, *, issued: datetime, template=None, member=None):
    template = template or CouponTemplateFactory(face_value=Decimal(face), min_spend=Decimal(0))
    member = member or MemberFactory(home_store=store)
    batch = IssueBatchFactory(template=template)
    return CouponFactory(
        batch=batch, member=member, store=store, face_value=Decimal(face), issued_at=issued
    )


def redeem(coupon_, *, order_no, amount: str, when: datetime, store=None, reversed_=False):
    return RedemptionFactory(
        coupon=coupon_,
        store=store or coupon_.store,
        order_no=order_no,
        order_amount=Decimal(amount),
        redeemed_at=when,
        reversed_at=when + timedelta(hours=1) if reversed_ else None,
    )


# --- Store J ------------------------------------------------------------------------------------


# (store, face value, order number, order amount, redeemed at, reversed)
J_REDEMPTIONS = [
    # Order J-1 used two coupons: its 100,000 yuan count once.
    ("J", "20000", "J-1", "100000", at(date(2025, 10, 3)), False),
    ("J", "10000", "J-1", "100000", at(date(2025, 10, 3)), False),
    ("J", "16388", "J-2", "48489", at(date(2025, 10, 31), 23, 59), False),
    # Not counted in October at J: reversed, in November (local), at another store.
    ("J", "500", "J-3", "1000", at(date(2025, 10, 9)), True),
    ("J", "300", "J-4", "900", at(date(2025, 11, 1), 0, 1), False),
    ("K", "700", "K-1", "2100", at(date(2025, 10, 9)), False),
]


@pytest.fixture
def store_j():
    """October: 46,388 yuan of coupons used on orders worth 148,489 yuan (DOMAIN.md)."""
    stores = {"J": StoreFactory(code="J001", name="J店"), "K": StoreFactory(code="K001")}
    for store, face, order_no, amount, when, reversed_ in J_REDEMPTIONS:
        issued = coupon(stores[store], face, issued=at(date(2025, 9, 20)))
        redeem(issued, order_no=order_no, amount=amount, when=when, reversed_=reversed_)
    return stores["J"]


def test_store_j_used_46388_yuan_on_orders_worth_148489_so_320_per_yuan(hq_admin, store_j):
    report = coupon_roi(user=hq_admin, start=OCTOBER[0], end=OCTOBER[1], by=RoiBy.STORE)

    row = report.row(store_j.pk)
    assert row.redeemed_count == 3
    assert row.redeemed_face_value == Decimal("46388.00")
    assert row.revenue == Decimal("148489.00")
    assert row.revenue_per_yuan == Decimal("3.20")


def test_totals_count_each_order_once_across_rows(hq_admin, store_j):
    report = coupon_roi(user=hq_admin, start=OCTOBER[0], end=OCTOBER[1], by=RoiBy.TEMPLATE)

    # Order J-1 used two templates: it is revenue in both template rows, once in the totals.
    assert sum(row.revenue for row in report.rows) == Decimal("248489.00") + Decimal("2100.00")
    assert report.total.revenue == Decimal("148489.00") + Decimal("2100.00")
    assert report.total.redeemed_face_value == Decimal("46388.00") + Decimal("700.00")


def test_nothing_issued_in_the_window_gives_no_rate_and_nothing_used_no_revenue_per_yuan(
    hq_admin, store_j
):
    report = coupon_roi(user=hq_admin, start=OCTOBER[0], end=OCTOBER[1], by=RoiBy.STORE)
    row = report.row(store_j.pk)
    assert row.issued_count == 0 and row.redemption_rate is None

    quiet = coupon_roi(user=hq_admin, start=date(2025, 9, 1), end=date(2025, 10, 1), by="store")
    issued = quiet.row(store_j.pk)
    assert issued.issued_count == 5 and issued.redeemed_count == 0
    assert issued.redemption_rate == Decimal("0.0000")
    assert issued.revenue_per_yuan is None


def test_by_month_uses_local_months(hq_admin, store_j):
    report = coupon_roi(
        user=hq_admin, start=date(2025, 9, 1), end=date(2025, 12, 1), by=RoiBy.MONTH
    )

    assert [row.label for row in report.rows] == ["2025年9月", "2025年10月", "2025年11月"]
    assert report.row(date(2025, 11, 1)).redeemed_face_value == Decimal("300.00")
    assert report.row(date(2025, 10, 1)).redeemed_count == 4


def test_filters_narrow_by_kind_and_region(hq_admin, store_j):
    report = coupon_roi(
        user=hq_admin,
        start=OCTOBER[0],
        end=OCTOBER[1],
        by=RoiBy.STORE,
        where=RoiFilter(region=store_j.region, kind=CouponKind.NO_THRESHOLD_LARGE),
    )

    assert [row.key for row in report.rows] == [store_j.pk]
    assert report.total.revenue == Decimal("148489.00")
    by_small = coupon_roi(
        user=hq_admin,
        start=OCTOBER[0],
        end=OCTOBER[1],
        by=RoiBy.STORE,
        where=RoiFilter(kind=CouponKind.THRESHOLD_SMALL),
    )
    assert by_small.rows == []


# --- Scope --------------------------------------------------------------------------------------


@pytest.fixture
def two_regions():
    north, south = RegionFactory(name="北区"), RegionFactory(name="南区")
    stores = {
        "n1": StoreFactory(region=north),
        "n2": StoreFactory(region=north),
        "s1": StoreFactory(region=south),
    }
    day = at(date(2025, 10, 10))
    for index, store in enumerate(stores.values()):
        redeem(coupon(store, "50", issued=day), order_no=f"X{index}", amount="200", when=day)
    return north, stores


def test_store_manager_sees_only_their_own_store(two_regions):
    _north, stores = two_regions
    manager = StoreManagerFactory(store=stores["n1"])

    report = coupon_roi(user=manager, start=OCTOBER[0], end=OCTOBER[1], by=RoiBy.STORE)
    by_region = coupon_roi(user=manager, start=OCTOBER[0], end=OCTOBER[1], by=RoiBy.REGION)

    assert [row.key for row in report.rows] == [stores["n1"].pk]
    assert report.total.revenue == Decimal("200.00") and report.total.issued_count == 1
    assert by_region.total.redeemed_face_value == Decimal("50.00")


def test_store_manager_cannot_widen_by_filtering_for_another_store(two_regions):
    _north, stores = two_regions
    manager = StoreManagerFactory(store=stores["n1"])

    report = coupon_roi(
        user=manager,
        start=OCTOBER[0],
        end=OCTOBER[1],
        by=RoiBy.STORE,
        where=RoiFilter(store=stores["s1"]),
    )

    assert report.rows == [] and report.total.revenue == Decimal("0.00")


def test_region_manager_sees_only_their_regions_stores(two_regions):
    north, stores = two_regions
    manager = RegionManagerFactory(region=north)

    report = coupon_roi(user=manager, start=OCTOBER[0], end=OCTOBER[1], by=RoiBy.STORE)

    assert {row.key for row in report.rows} == {stores["n1"].pk, stores["n2"].pk}
    assert report.total.revenue == Decimal("400.00")


def test_a_guide_counts_only_their_own_members_coupons(two_regions, guide_a, store_a):
    day = at(date(2025, 10, 12))
    own = MemberFactory(home_store=store_a, guide=guide_a)
    redeem(coupon(store_a, "30", issued=day, member=own), order_no="G1", amount="90", when=day)
    redeem(coupon(store_a, "40", issued=day), order_no="G2", amount="120", when=day)

    report = coupon_roi(user=guide_a, start=OCTOBER[0], end=OCTOBER[1], by=RoiBy.STORE)

    assert report.total.redeemed_face_value == Decimal("30.00")
    assert report.total.revenue == Decimal("90.00")


# --- Brute force --------------------------------------------------------------------------------


def _random_world(rng: random.Random):
    groups = [StoreGroupFactory(), StoreGroupFactory(), None]
    regions = [RegionFactory(), RegionFactory()]
    stores = [
        StoreFactory(region=rng.choice(regions), store_group=rng.choice(groups)) for _ in range(5)
    ]
    templates = [
        CouponTemplateFactory(face_value=Decimal(face), min_spend=Decimal(spend))
        for face, spend in [("20", "0"), ("80", "0"), ("30", "200"), ("100", "300")]
    ]
    batches = [IssueBatchFactory(template=rng.choice(templates)) for _ in range(6)]
    start = at(date(2025, 9, 25), 0, 0)
    coupons = []
    for _ in range(70):
        batch = rng.choice(batches)
        store = rng.choice(stores)
        issued = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 50))
        coupons.append(
            CouponFactory(
                batch=batch,
                member=MemberFactory(home_store=store),
                store=store,
                face_value=batch.template.face_value,
                issued_at=issued,
            )
        )
    orders = []
    for coupon_ in rng.sample(coupons, 45):
        reuse = orders and rng.random() < 0.3
        store, order_no, amount, when = (
            rng.choice(orders)
            if reuse
            else (
                rng.choice(stores),
                f"R{len(orders)}",
                Decimal(rng.randrange(50, 900)),
                max(coupon_.issued_at, start) + timedelta(minutes=rng.randrange(0, 60 * 24 * 20)),
            )
        )
        orders.append((store, order_no, amount, when))
        redeem(
            coupon_,
            store=store,
            order_no=order_no,
            amount=str(amount),
            when=when,
            reversed_=rng.random() < 0.15,
        )
    return coupons


def _key_of(by, coupon_, store):
    return {
        "store": store.pk,
        "region": store.region_id,
        "store_group": store.store_group_id or 0,
        "template": coupon_.template_id,
        "batch": coupon_.batch_id,
        "kind": coupon_.template.kind,
    }.get(by)


def _month(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date().replace(day=1)


def _brute_force(coupons, by, start: datetime, end: datetime) -> dict:
    rows = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0), {}])
    for coupon_ in coupons:
        if start <= coupon_.issued_at < end:
            key = (
                _month(coupon_.issued_at) if by == "month" else _key_of(by, coupon_, coupon_.store)
            )
            rows[key][0] += 1
            rows[key][1] += coupon_.face_value
        for redemption in coupon_.redemptions.all():
            if redemption.reversed_at or not start <= redemption.redeemed_at < end:
                continue
            key = (
                _month(redemption.redeemed_at)
                if by == "month"
                else _key_of(by, coupon_, redemption.store)
            )
            rows[key][2] += 1
            rows[key][3] += redemption.discount
            rows[key][4][(redemption.store_id, redemption.order_no)] = redemption.order_amount
    return {key: (a, b, c, d, sum(e.values(), Decimal(0))) for key, (a, b, c, d, e) in rows.items()}


@pytest.mark.parametrize("by", [choice.value for choice in RoiBy])
def test_selector_agrees_with_a_brute_force_recomputation(hq_admin, by):
    coupons = _random_world(random.Random(20251001))
    start, end = at(date(2025, 9, 28), 0, 0), at(date(2025, 11, 8), 0, 0)

    report = coupon_roi(user=hq_admin, start=start, end=end, by=by)

    expected = _brute_force(coupons, by, start, end)
    got = {
        row.key: (
            row.issued_count,
            row.issued_face_value,
            row.redeemed_count,
            row.redeemed_face_value,
            row.revenue,
        )
        for row in report.rows
    }
    assert got == expected
    assert len(expected) > 1
    assert report.total.redeemed_count == sum(row[2] for row in expected.values())


def test_redeemed_status_does_not_matter_only_live_redemptions_do(hq_admin, store_a):
    day = at(date(2025, 10, 5))
    used = coupon(store_a, "50", issued=day)
    redeem(used, order_no="A1", amount="300", when=day, reversed_=True)
    used.status = CouponStatus.REDEEMED
    used.save()

    report = coupon_roi(user=hq_admin, start=OCTOBER[0], end=OCTOBER[1], by=RoiBy.STORE)

    assert report.row(store_a.pk).redeemed_count == 0
    assert report.row(store_a.pk).issued_count == 1
