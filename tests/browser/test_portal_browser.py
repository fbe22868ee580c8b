from decimal import Decimal

import pytest

from tests.browser.conftest import portal_login
from tests.members.factories import (
    GuideFactory,
    HqAdminFactory,
    MemberFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    StoreFactory,
    StoreManagerFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    """Store A with a manager, a guide and a member with the DOMAIN.md purchase history; store B
    with a member of its own."""
    store_a = StoreFactory(code="A001", name="甲店")
    guide = GuideFactory(store=store_a, first_name="小林")
    manager = StoreManagerFactory(store=store_a, first_name="王店长")
    member = MemberFactory(
        home_store=store_a, guide=guide, name="陈美玲", phone="13912345678", gender="F"
    )
    MemberFactory.create_batch(5, home_store=store_a, guide=guide)
    cleanser = ProductFactory(name="氨基酸洁面", series="雪润系列", category="清洁")
    eye_cream = ProductFactory(name="紧致眼霜", series="雪润系列", category="抗皱")
    for product, amount in [(cleanser, "204.00"), (eye_cream, "400.00")]:
        order = OrderFactory(store=store_a, member=member, amount=Decimal(amount))
        OrderLineFactory(order=order, product=product, amount=Decimal(amount))
    store_b = StoreFactory(code="B001", name="乙店")
    member_b = MemberFactory(home_store=store_b, name="乙店金丝雀", phone="13700007777")
    return {"manager": manager, "member": member, "member_b": member_b}


def test_manager_finds_a_member_by_phone_tail_on_a_phone(
    live_server, phone_page, traffic, shop, shots_dir
):
    page = phone_page
    portal_login(page, live_server.url, shop["manager"])
    assert page.url == f"{live_server.url}/members/"
    assert page.get_by_text("王店长").is_visible()

    page.get_by_text("更多筛选").click()
    assert page.get_by_label("导购").is_visible()
    page.screenshot(path=shots_dir / "member-filters-phone.png", full_page=True)
    page.get_by_text("更多筛选").click()

    # Typing in the search box refreshes the results through htmx, no submit.
    page.get_by_role("searchbox").press_sequentially("5678", delay=30)
    page.wait_for_function("document.querySelectorAll('.member-row').length === 1")
    assert page.locator(".member-row").inner_text().count("139****5678") == 1
    assert "13912345678" not in page.content()
    page.screenshot(path=shots_dir / "member-list-phone.png", full_page=True)

    # the last keystroke's search may still be re-rendering the row: let htmx settle first
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        page.locator(".member-row a").click()
    page.wait_for_load_state("networkidle")
    card = page.locator("#five-looks")
    assert card.is_visible()
    assert "客单价 ¥302.00（2 单）" in card.inner_text()
    assert "开卡 " in card.locator("[data-look=tenure]").inner_text()
    assert "年" in card.locator("[data-look=tenure]").inner_text()
    assert "10-15" in card.inner_text()
    assert "雪润系列" in card.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots_dir / "member-detail-phone.png", full_page=True)

    # Revealing the phone is an explicit, logged action.
    page.get_by_role("button", name="查看完整号码").click()
    page.wait_for_selector(".phone-full")
    assert page.locator("#member-phone").inner_text() == "13912345678"
    page.get_by_role("button", name="查看完整号码").wait_for(state="detached")

    assert traffic.static_failures() == []
    assert any("/static/css/portal.css" in url for url in traffic.urls)
    assert any("/static/django_htmx/htmx-2" in url for url in traffic.urls)


def test_manager_opening_another_stores_member_gets_the_404_page(
    live_server, phone_page, traffic, shop, shots_dir
):
    page = phone_page
    portal_login(page, live_server.url, shop["manager"])

    response = page.goto(f"{live_server.url}/members/{shop['member_b'].pk}/")

    assert response.status == 404
    assert page.get_by_role("heading", name="页面不存在或您无权访问").is_visible()
    assert "乙店金丝雀" not in page.content()
    page.screenshot(path=shots_dir / "not-found-phone.png", full_page=True)
    assert traffic.static_failures() == []


def test_hq_admin_logs_in_and_opens_a_member(live_server, desk_page, traffic, shop, shots_dir):
    page = desk_page
    admin = HqAdminFactory(username="hq", is_superuser=False)
    member = shop["member"]

    page.goto(f"{live_server.url}/admin/")
    page.locator("input[name=username]").fill(admin.username)
    page.locator("input[name=password]").fill("pass-1234")
    page.locator("[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.url.rstrip("/").endswith("/admin")

    response = page.goto(f"{live_server.url}/admin/members/member/{member.pk}/change/")

    assert response.status == 200
    assert page.locator("input[name=name]").input_value() == "陈美玲"
    page.screenshot(path=shots_dir / "admin-member-change.png", full_page=True)

    # HQ may also read the portal, on a desk, with full phones and no re-binding form.
    page.goto(f"{live_server.url}/members/?q=5678")
    assert "13912345678" in page.locator(".member-list").inner_text()
    page.screenshot(path=shots_dir / "member-list-desk.png", full_page=True)
    page.goto(f"{live_server.url}/members/{member.pk}/")
    assert page.locator("#five-looks").is_visible()
    assert page.get_by_text("重新绑定导购").count() == 0
    assert traffic.static_failures() == []
