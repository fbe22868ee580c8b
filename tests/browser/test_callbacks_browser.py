"""Callbacks in Debian's chromium on a 390-pixel phone screen: a guide opens the worklist, reads
the card (five looks, script, coupons), records a successful call and lands on the next task;
the store manager then sees the funnel move for that guide."""

from decimal import Decimal

import pytest
from django.utils import timezone

from callbacks.models import CallbackAttempt, CallbackPlan, PlanStatus, TaskStatus
from tests.browser.conftest import portal_login
from tests.callbacks.factories import CallbackTaskFactory, SegmentFactory
from tests.members.factories import (
    GuideFactory,
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
    """Store A: guide 小林 with two tasks of an active plan (陈美玲 first), the member's history
    from DOMAIN.md; store B's task that must never show."""
    store = StoreFactory(code="A001", name="甲店")
    guide = GuideFactory(store=store, first_name="小林")
    manager = StoreManagerFactory(store=store, first_name="王店长")
    plan = CallbackPlan.objects.create(
        store=store,
        name="雪润系列回访",
        purpose="老客复购",
        script="您好，我是甲店的小林，雪润系列本周有会员价……",
        segment=SegmentFactory(store=store),
        starts_on=timezone.localdate(),
        due_on=timezone.localdate() + timezone.timedelta(days=7),
        status=PlanStatus.ACTIVE,
        activated_at=timezone.now(),
    )
    member = MemberFactory(home_store=store, guide=guide, name="陈美玲", phone="13912345678")
    eye_cream = ProductFactory(name="紧致眼霜", series="雪润系列", category="抗皱")
    order = OrderFactory(store=store, member=member, amount=Decimal("302.00"))
    OrderLineFactory(order=order, product=eye_cream, amount=Decimal("302.00"))
    first = CallbackTaskFactory(plan=plan, member=member, priority=1)
    second = CallbackTaskFactory(
        plan=plan, member=MemberFactory(home_store=store, guide=guide, name="李晓"), priority=2
    )
    store_b = StoreFactory(code="B001", name="乙店")
    guide_b = GuideFactory(store=store_b)
    plan_b = CallbackPlan.objects.create(
        store=store_b,
        name="乙店计划",
        purpose="-",
        script="-",
        segment=SegmentFactory(store=store_b),
        starts_on=timezone.localdate(),
        due_on=timezone.localdate(),
        status=PlanStatus.ACTIVE,
    )
    CallbackTaskFactory(
        plan=plan_b, member=MemberFactory(home_store=store_b, guide=guide_b, name="乙店金丝雀")
    )
    return {"guide": guide, "manager": manager, "first": first, "second": second}


def test_a_guide_records_a_call_on_a_phone_and_the_manager_sees_the_funnel_move(
    live_server, phone_page, traffic, shop, shots_dir
):
    page = phone_page
    portal_login(page, live_server.url, shop["guide"])
    page.get_by_role("link", name="回访", exact=True).click()
    page.wait_for_load_state("networkidle")

    assert page.url == f"{live_server.url}/callbacks/"
    rows = page.locator("#worklist .cb-row")
    assert rows.count() == 2 and "陈美玲" in rows.first.inner_text()
    assert "139****5678" in rows.first.inner_text() and "13912345678" not in page.content()
    assert "乙店金丝雀" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots_dir / "callbacks-worklist-phone.png", full_page=True)

    rows.first.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert "雪润系列本周有会员价" in page.locator("#plan-script").inner_text()
    looks = page.locator("#five-looks").inner_text()
    assert "紧致眼霜" in looks and "302" in looks
    assert page.locator("#member-coupons").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots_dir / "callbacks-task-phone.png", full_page=True)

    page.get_by_label("回访成功").check()
    page.get_by_label("备注").fill("周六到店试用")
    page.get_by_role("button", name="保存并回访下一位").click()
    page.wait_for_load_state("networkidle")

    assert page.url == f"{live_server.url}/callbacks/tasks/{shop['second'].pk}/"
    assert "已记录 陈美玲 的回访结果：回访成功。" in page.content()
    shop["first"].refresh_from_db()
    assert shop["first"].status == TaskStatus.SUCCESSFUL
    assert CallbackAttempt.objects.get().note == "周六到店试用"

    page.context.clear_cookies()
    portal_login(page, live_server.url, shop["manager"])
    page.goto(f"{live_server.url}/callbacks/funnel/")
    row = page.locator("#funnel-table tbody tr", has_text="小林")
    assert row.locator("[data-figure=to_call]").inner_text() == "2"
    assert row.locator("[data-figure=called]").inner_text() == "1"
    assert row.locator("[data-figure=successful]").inner_text() == "1"
    assert row.locator("[data-figure=call_rate]").inner_text() == "50.0%"
    page.screenshot(path=shots_dir / "callbacks-funnel-phone.png", full_page=True)
    assert traffic.static_failures() == []
    assert any("/static/css/callbacks.css" in url for url in traffic.urls)


def test_a_manager_picks_a_promoted_product_and_bulk_reassigns_on_a_phone(
    live_server, phone_page, traffic, shop, shots_dir
):
    # given 40 products in the catalogue, and the manager on a phone
    for n in range(40):
        ProductFactory(sku=f"XR{n:03d}", name=f"雪润面霜{n}", series="雪润系列")
    ProductFactory(sku="MASK-9", name="修护面膜", series="修护系列")
    segment = SegmentFactory(store=shop["manager"].store, name="甲店老客")
    page = phone_page
    portal_login(page, live_server.url, shop["manager"])

    # when they search the catalogue in the plan form (Enter searches, it does not save)
    page.goto(f"{live_server.url}/callbacks/plans/new/")
    assert page.locator("#product-options label").count() == 0
    search = page.get_by_label("搜索在促商品")
    search.fill("面膜")
    page.locator("#product-options label", has_text="MASK-9").wait_for()
    search.press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/callbacks/plans/new/"
    page.locator("#product-options label", has_text="MASK-9").locator("input").check()
    search.fill("雪润")
    page.locator("#product-options label", has_text="XR000").wait_for()
    # the ticked mask stays, first and ticked, beside at most 20 matches
    options = page.locator("#product-options label")
    assert options.count() == 21 and "MASK-9" in options.first.inner_text()
    assert options.first.locator("input").is_checked()
    page.get_by_label("计划名称").fill("面膜复购")
    page.get_by_label("回访目的").fill("在促")
    page.get_by_label("话术").fill("您好")
    page.locator("#id_segment").select_option(str(segment.pk))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots_dir / "callbacks-plan-products-phone.png", full_page=True)
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state("networkidle")

    # then the plan has the mask only
    plan = CallbackPlan.objects.get(name="面膜复购")
    assert [product.sku for product in plan.promoted_products.all()] == ["MASK-9"]

    # when the manager ticks 陈美玲's task on the worklist and hands it to themselves
    page.goto(f"{live_server.url}/callbacks/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(f'#worklist input[value="{shop["first"].pk}"]').check()
    page.locator("#bulk-reassign").get_by_label("改派给").select_option(str(shop["manager"].pk))
    page.screenshot(path=shots_dir / "callbacks-bulk-reassign-phone.png", full_page=True)
    page.get_by_role("button", name="改派", exact=True).click()
    page.wait_for_load_state("networkidle")

    # then one task moved and the page says so
    assert "已把 1 条任务改派给 王店长。" in page.content()
    shop["first"].refresh_from_db()
    shop["second"].refresh_from_db()
    assert shop["first"].assignee == shop["manager"] and shop["second"].assignee == shop["guide"]
    assert traffic.static_failures() == []
