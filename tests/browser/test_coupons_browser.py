"""Coupons in Debian's chromium: HQ creates a template in the admin and sees its kind, then reads
the ROI page; a store manager on a phone opens the portal's coupon page and sees the store's batch
and this month's figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from coupons.models import BatchStatus, Coupon, CouponTemplate, IssueBatch
from members.models import Segment
from tests.browser.conftest import portal_login
from tests.coupons.factories import CouponFactory, CouponTemplateFactory, IssueBatchFactory
from tests.coupons.factories_roi import RedemptionFactory
from tests.members.factories import (
    HqAdminFactory,
    MemberFactory,
    StoreFactory,
    StoreManagerFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def admin_login(page, base_url, user):
    page.goto(f"{base_url}/admin/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill("pass-1234")
    page.locator("[type=submit]").click()
    page.wait_for_load_state("networkidle")


@pytest.fixture
def shop():
    """Store A this month: a running batch of 满300减50, one coupon used on a 460-yuan order,
    one about to expire; store B a batch of its own."""
    store = StoreFactory(code="A001", name="甲店")
    template = CouponTemplateFactory(
        name="满300减50", face_value=Decimal("50"), min_spend=Decimal("300")
    )
    batch = IssueBatchFactory(
        template=template,
        store=store,
        status=BatchStatus.RUNNING,
        target_count=80,
        issued_count=20,
    )
    used = CouponFactory(batch=batch, member=MemberFactory(home_store=store))
    RedemptionFactory(coupon=used, order_amount=Decimal("460.00"))
    soon = timezone.localdate() + timedelta(days=2)
    CouponFactory(
        batch=batch, member=MemberFactory(home_store=store, name="陈美玲"), valid_until=soon
    )
    store_b = StoreFactory(code="B001", name="乙店")
    IssueBatchFactory(template=CouponTemplateFactory(name="乙店专享券"), store=store_b)
    return {"store": store, "manager": StoreManagerFactory(store=store, first_name="王店长")}


def test_hq_creates_a_template_and_sees_its_kind(live_server, desk_page, traffic, shop, shots_dir):
    page = desk_page
    admin_login(page, live_server.url, HqAdminFactory(username="hq"))

    page.goto(f"{live_server.url}/admin/coupons/coupontemplate/add/")
    page.locator("input[name=name]").fill("无门槛88元券")
    page.locator("input[name=face_value]").fill("88")
    page.locator("input[name=min_spend]").fill("0")
    page.locator("input[name=valid_days]").fill("15")
    page.locator("input[name=ease_rank]").fill("1")
    page.locator("button[name=_save]").click()
    page.wait_for_load_state("networkidle")

    assert page.url.endswith("/admin/coupons/coupontemplate/")
    row = page.locator("#result_list tr", has_text="无门槛88元券")
    assert "无门槛大面额" in row.inner_text()
    assert "¥88.00" in row.inner_text() and "领券后 15 天" in row.inner_text()
    assert CouponTemplate.objects.get(name="无门槛88元券").kind == "no_threshold_large"
    page.screenshot(path=shots_dir / "admin-coupon-templates.png", full_page=True)

    page.get_by_role("link", name="券效分析（各门店）").click()
    page.wait_for_load_state("networkidle")
    table = page.locator("#roi-by-store")
    assert "甲店" in table.inner_text() and "9.20" in table.inner_text()
    assert page.locator("#roi-chart .cp-bar-fill").first.is_visible()
    page.screenshot(path=shots_dir / "admin-coupon-roi.png", full_page=True)
    assert traffic.static_failures() == []


def test_a_template_form_error_reads_in_chinese(live_server, desk_page, shop):
    page = desk_page
    admin_login(page, live_server.url, HqAdminFactory(username="hq"))

    page.goto(f"{live_server.url}/admin/coupons/coupontemplate/add/")
    page.locator("input[name=name]").fill("错的券")
    page.locator("input[name=face_value]").fill("30")
    page.locator("input[name=min_spend]").fill("20")
    page.locator("button[name=_save]").click()
    page.wait_for_load_state("networkidle")

    assert page.get_by_text("最低消费须为 0（无门槛），或高于面额").first.is_visible()
    assert not CouponTemplate.objects.filter(name="错的券").exists()


def test_store_manager_sees_the_batch_and_this_months_figures_on_a_phone(
    live_server, phone_page, traffic, shop, shots_dir
):
    page = phone_page
    portal_login(page, live_server.url, shop["manager"])

    page.get_by_role("link", name="优惠券").click()
    page.wait_for_load_state("networkidle")

    assert page.url == f"{live_server.url}/coupons/"
    batches = page.locator("#coupon-batches").inner_text()
    assert "满300减50" in batches and "20 / 80 · 发放中" in batches
    assert "乙店专享券" not in page.content()
    figures = page.locator("#coupon-roi")
    assert figures.locator("[data-figure=revenue]").inner_text() == "¥460.00"
    assert figures.locator("[data-figure=revenue_per_yuan]").first.inner_text() == "9.20"
    page.locator("#coupons-expiring a", has_text="陈美玲").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#member-coupons").is_visible()
    assert "满300减50" in page.locator("#member-coupons").inner_text()
    page.go_back()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots_dir / "portal-coupons-phone.png", full_page=True)
    assert traffic.static_failures() == []
    assert any("/static/css/coupons.css" in url for url in traffic.urls)


def test_hq_issues_to_a_segment_watches_progress_and_the_store_sees_its_share(
    live_server, desk_page, phone_page, traffic, shots_dir
):
    """HQ issues a template to a segment from the admin and watches the batch page follow it;
    the store manager then sees the HQ batch's result for their store and the store's ROI."""
    store = StoreFactory(code="A001", name="甲店")
    members = MemberFactory.create_batch(3, home_store=store)
    MemberFactory.create_batch(2, home_store=StoreFactory(code="B001", name="乙店"))
    CouponTemplateFactory(name="满200减30")
    Segment.objects.create(name="全部会员（测试）", rule={"op": "and", "items": []})
    manager = StoreManagerFactory(store=store, first_name="王店长")
    page = desk_page
    admin_login(page, live_server.url, HqAdminFactory(username="hq"))

    page.goto(f"{live_server.url}/admin/coupons/issuebatch/add/")
    page.locator("select[name=template]").select_option(label="满200减30")
    page.locator("input[name=source][value=segment]").check()
    # the segment is searched as HQ types (the admin's select2 autocomplete)
    page.locator("select[name=segment] + .select2").click()
    # one search at a time (SQLite's test database serves one request at a time)
    page.locator(".select2-results__option:not(.loading-results)").first.wait_for()
    page.locator(".select2-search__field").fill("全部会员")
    page.locator(".select2-results__option", has_text="全部会员（测试）").click()
    page.get_by_role("button", name="开始发券").click()
    page.wait_for_load_state("networkidle")

    batch = IssueBatch.objects.get()
    progress = page.locator(f"#batch-progress-{batch.pk}")
    assert "5 / 5 · 已完成" in progress.inner_text()
    page.screenshot(path=shots_dir / "admin-coupon-batch.png", full_page=True)

    # A batch still running: the page polls its progress and shows the end without a reload.
    running = IssueBatch.objects.create(
        template=batch.template,
        source="segment",
        segment=batch.segment,
        status="running",
        target_count=5,
        issued_count=2,
    )
    page.goto(f"{live_server.url}/admin/coupons/issuebatch/{running.pk}/change/")
    assert "2 / 5 · 发放中" in page.locator(f"#batch-progress-{running.pk}").inner_text()
    IssueBatch.objects.filter(pk=running.pk).update(status="finished", issued_count=5)
    page.wait_for_function(
        f"document.querySelector('#batch-progress-{running.pk}').innerText.includes('已完成')",
        timeout=10_000,
    )

    used = Coupon.objects.get(batch=batch, member=members[0])
    RedemptionFactory(
        coupon=used, store=store, discount=Decimal("30.00"), order_amount=Decimal("268.00")
    )
    phone = phone_page
    portal_login(phone, live_server.url, manager)
    phone.get_by_role("link", name="优惠券").click()
    phone.wait_for_load_state("networkidle")
    roi = phone.locator("#coupon-roi")
    assert roi.locator("[data-figure=revenue]").inner_text() == "¥268.00"
    assert roi.locator("[data-figure=revenue_per_yuan]").first.inner_text() == "8.93"
    phone.locator(f"[data-batch='{batch.pk}'] a").first.click()
    phone.wait_for_load_state("networkidle")
    figures = phone.locator("#batch-figures")
    assert figures.locator("[data-figure=issued_count]").inner_text() == "3"
    assert figures.locator("[data-figure=redeemed_count]").inner_text() == "1"
    assert "5 / 5" not in phone.content()
    phone.screenshot(path=shots_dir / "portal-coupon-batch-share.png", full_page=True)
    assert traffic.outside_localhost() == []
