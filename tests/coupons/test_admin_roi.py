"""HQ's ROI page: every store side by side for a month, filters, sorting, the bars."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from coupons.admin_roi import roi_chart
from coupons.models import CouponKind
from coupons.selectors import RoiRow
from tests.coupons.factories import CouponFactory, CouponTemplateFactory, IssueBatchFactory
from tests.coupons.factories_roi import RedemptionFactory
from tests.members.factories import MemberFactory, RegionFactory, StoreFactory

pytestmark = pytest.mark.django_db

ROI = reverse("admin:coupons_redemption_roi")
SHANGHAI = ZoneInfo("Asia/Shanghai")
OCT = datetime.combine(date(2025, 10, 10), time(12), tzinfo=SHANGHAI)


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


def used(store, face: str, amount: str, *, when=OCT, template=None):
    template = template or CouponTemplateFactory(face_value=Decimal(face), min_spend=Decimal(0))
    coupon = CouponFactory(
        batch=IssueBatchFactory(template=template),
        member=MemberFactory(home_store=store),
        face_value=Decimal(face),
        issued_at=when,
    )
    return RedemptionFactory(coupon=coupon, order_amount=Decimal(amount), redeemed_at=when)


@pytest.fixture
def stores():
    north = RegionFactory(name="北区")
    good = StoreFactory(code="G001", name="好店", region=north)
    fair = StoreFactory(code="F001", name="平店", region=north)
    south = StoreFactory(code="S001", name="南店", region=RegionFactory(name="南区"))
    used(good, "100", "500")  # 5.00 per yuan
    used(fair, "100", "200")  # 2.00 per yuan
    used(south, "50", "400")  # 8.00 per yuan
    return {"good": good, "fair": fair, "south": south, "north": north}


def _table(text: str, table_id: str) -> str:
    start = text.index(f'id="{table_id}"')
    return text[start : text.index("</table>", start)]


def test_roi_page_shows_every_store_with_totals_and_bars(hq_client, stores):
    response = hq_client.get(ROI, {"month": "2025-10"})

    assert response.status_code == 200
    table = _table(response.content.decode(), "roi-by-store")
    for name in ("好店", "平店", "南店"):
        assert name in table
    assert "¥1,100.00" in table  # revenue of all three
    assert "4.40" in table  # 1,100 / 250
    chart = response.content.decode().split('id="roi-chart"')[1]
    assert chart.index("南店") < chart.index("好店") < chart.index("平店")
    assert 'style="width: 100%"' in chart


def test_roi_page_defaults_to_this_month(hq_client, stores):
    used(stores["fair"], "10", "90", when=timezone.now())

    response = hq_client.get(ROI)

    assert response.status_code == 200
    table = _table(response.content.decode(), "roi-by-store")
    assert "平店" in table and "好店" not in table
    assert "9.00" in table


def test_roi_page_sorts_by_revenue_per_yuan(hq_client, stores):
    response = hq_client.get(ROI, {"month": "2025-10", "sort": "revenue_per_yuan"})

    table = _table(response.content.decode(), "roi-by-store")
    assert table.index("南店") < table.index("好店") < table.index("平店")
    assert 'aria-sort="descending"' in table


def test_roi_page_filters_by_region(hq_client, stores):
    response = hq_client.get(ROI, {"month": "2025-10", "region": stores["north"].pk})

    table = _table(response.content.decode(), "roi-by-store")
    assert "好店" in table and "平店" in table and "南店" not in table


def test_roi_page_filters_by_kind_and_shows_kinds(hq_client, stores):
    threshold = CouponTemplateFactory(face_value=Decimal("30"), min_spend=Decimal("200"))
    used(stores["south"], "30", "260", template=threshold)

    response = hq_client.get(ROI, {"month": "2025-10", "kind": CouponKind.THRESHOLD_SMALL})

    text = response.content.decode()
    table = _table(text, "roi-by-store")
    assert "南店" in table and "好店" not in table and "¥260.00" in table
    assert "有门槛小面额" in _table(text, "roi-by-kind")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month": "2025-13"}, "请按“年-月”填写月份，例如 2025-10。"),
        ({"month": "十月"}, "请按“年-月”填写月份，例如 2025-10。"),
        ({"month": "2025-10", "kind": "huge"}, "“huge”不是可选的券类型。"),
        ({"month": "2025-10", "region": "999999"}, "所选项不存在，请从列表中选择。"),
        ({"month": "2025-10", "sort": "name; drop"}, "不是可选的排序。"),
    ],
)
def test_roi_page_refuses_bad_filters_with_400_in_chinese(hq_client, params, message):
    response = hq_client.get(ROI, params)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_roi_page_queries_do_not_grow_with_stores(hq_client, stores, django_assert_max_num_queries):
    for n in range(10):
        used(StoreFactory(name=f"新店{n}"), "20", "100")

    with django_assert_max_num_queries(25):
        response = hq_client.get(ROI, {"month": "2025-10"})

    assert "新店9" in response.content.decode()


def test_roi_chart_scales_to_the_best_store_and_caps_the_rate():
    ten = Decimal(10)
    rows = [
        RoiRow(1, "甲", issued_count=1, redeemed_count=3, redeemed_face_value=ten, revenue=ten * 8),
        RoiRow(2, "乙", issued_count=4, redeemed_count=1, redeemed_face_value=ten, revenue=ten * 2),
        RoiRow(3, "丙"),
    ]

    bars = roi_chart(rows)

    assert [bar.per_yuan_width for bar in bars] == [100, 25, 0]
    assert [bar.rate_width for bar in bars] == [100, 25, 0]
