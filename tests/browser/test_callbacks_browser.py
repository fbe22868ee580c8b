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
