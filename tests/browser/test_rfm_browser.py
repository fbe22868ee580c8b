from datetime import date
from decimal import Decimal

import pytest

from members.models import RfmGroup
from tests.browser.conftest import portal_login
from tests.members.factories import (
    GuideFactory,
    MemberFactory,
    MemberRfmFactory,
    RfmRunFactory,
    StoreFactory,
    StoreManagerFactory,
)
from tests.rfm_ui.factories import build_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

G = RfmGroup


@pytest.fixture
def grouped_shop():
    """Store A: a guide's member in 重要保持, and two runs of history; store B moves of its own."""
    store_a = StoreFactory(code="A001", name="甲店")
    guide = GuideFactory(store=store_a, first_name="小林")
    manager = StoreManagerFactory(store=store_a, first_name="王店长")
    member = MemberFactory(home_store=store_a, guide=guide, name="陈美玲", phone="13912345678")
    others = [MemberFactory(home_store=store_a, guide=guide) for _ in range(3)]
    store_b = StoreFactory(code="B001", name="乙店")
    theirs = [MemberFactory(home_store=store_b) for _ in range(4)]
    timeline = {m: [G.IMPORTANT_VALUE, G.IMPORTANT_RETENTION] for m in [member, *others]}
    timeline |= {m: [G.ORDINARY_VALUE, G.ORDINARY_WINBACK] for m in theirs}
    build_history(timeline, [date(2026, 5, 1), date(2026, 6, 1)])
    RfmRunFactory(business_date=date(2026, 6, 1))
    MemberRfmFactory(
        member=member,
        as_of=date(2026, 6, 1),
        group=G.IMPORTANT_RETENTION,
        recency_days=80,
        frequency=5,
        monetary=Decimal("1888.00"),
        lifetime_days=700,
    )
    return {"guide": guide, "manager": manager, "member": member}


def test_guide_on_a_phone_sees_the_group_with_r_f_m_l(
    live_server, phone_page, traffic, grouped_shop, shots_dir
):
    page = phone_page
    portal_login(page, live_server.url, grouped_shop["guide"])

    row = page.locator(".member-row", has_text="陈美玲")
    assert "重要保持" in row.inner_text()
    row.locator("a").click()
    page.wait_for_load_state("networkidle")

    card = page.locator("#rfm-group")
    assert card.is_visible()
    text = card.inner_text()
    assert "重要保持" in text
    assert "80 天" in text and "≤ 45 天为近期" in text
    assert "5 次" in text and "¥1888.00" in text and "700 天" in text
    for axis in "RFML":
        assert card.locator(f"[data-axis={axis}]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots_dir / "member-rfm-phone.png", full_page=True)
    assert traffic.static_failures() == []


def test_manager_opens_the_migration_page_and_sees_their_matrix(
    live_server, phone_page, traffic, grouped_shop, shots_dir
):
    page = phone_page
    portal_login(page, live_server.url, grouped_shop["manager"])

    page.get_by_role("link", name="客户群迁移").click()
    page.wait_for_load_state("networkidle")

    assert page.url == f"{live_server.url}/groups/migration/"
    moves = page.locator(".mx-moves").inner_text()
    assert "自 2026-05-01 至 2026-06-01，重要价值 中有 4 人变为 重要保持。" in moves
    assert "一般挽留" not in moves
    matrix = page.locator("#migration-matrix")
    assert matrix.locator("tr[data-row=important_value] .mx-heat-5").inner_text().startswith("4")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots_dir / "group-migration-phone.png", full_page=True)
    assert traffic.static_failures() == []
    assert any("/static/css/matrix.css" in url for url in traffic.urls)
