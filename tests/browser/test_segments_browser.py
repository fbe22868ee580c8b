"""The rule builder in Debian's chromium: HQ changes a rule and watches the live count follow;
a store manager builds a sub-segment on a phone and sees only their own members."""

import re
from decimal import Decimal

import pytest

from members.models import RfmGroup, Segment
from tests.browser.conftest import portal_login
from tests.members.factories import (
    HqAdminFactory,
    MemberFactory,
    MemberRfmFactory,
    StoreFactory,
    StoreManagerFactory,
)
from tests.segments.factories import SegmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALUE = {"op": "and", "items": [{"type": "rfm_group", "groups": ["important_value"]}]}


def _member(store, group, name):
    member = MemberFactory(home_store=store, name=name)
    MemberRfmFactory(member=member, group=group, total_spent=Decimal("800.00"), order_count=2)
    return member


@pytest.fixture
def chain():
    store_a = StoreFactory(code="A001", name="甲店")
    store_b = StoreFactory(code="B001", name="乙店")
    for number in range(2):
        _member(store_a, RfmGroup.IMPORTANT_VALUE, f"甲店价值{number}")
    _member(store_a, RfmGroup.ORDINARY_WINBACK, "甲店挽留")
    _member(store_b, RfmGroup.IMPORTANT_VALUE, "乙店金丝雀")
    _member(store_b, RfmGroup.ORDINARY_WINBACK, "乙店挽留")
    return {
        "hq": HqAdminFactory(username="hq"),
        "manager": StoreManagerFactory(store=store_a, username="manager_a"),
        "segment": SegmentFactory(name="价值客户", rule=VALUE),
    }


def _count_is(page, expected: int):
    page.wait_for_function(
        "n => document.querySelector('#preview-count')?.textContent.trim() === String(n)",
        arg=expected,
    )


def test_hq_edits_a_rule_and_sees_the_count_change(
    live_server, desk_page, traffic, chain, shots_dir
):
    page = desk_page
    portal_login(page, live_server.url, chain["hq"])
    page.goto(f"{live_server.url}/segments/{chain['segment'].pk}/edit/")
    _count_is(page, 3)
    assert page.get_by_text("门店分布").is_visible()

    page.get_by_label("一般挽留").check()  # htmx posts the change, the preview follows
    _count_is(page, 5)
    page.screenshot(path=shots_dir / "segment-builder-desk.png", full_page=True)

    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/segments/{chain['segment'].pk}/")
    assert page.locator("#preview-count").inner_text() == "5"
    rule = Segment.objects.get(pk=chain["segment"].pk).rule
    assert rule["items"][0]["groups"] == ["important_value", "ordinary_winback"]
    assert traffic.static_failures() == []


def test_manager_builds_a_sub_segment_of_own_members_on_a_phone(
    live_server, phone_page, traffic, chain, shots_dir
):
    page = phone_page
    portal_login(page, live_server.url, chain["manager"])
    page.goto(f"{live_server.url}/segments/new/")
    page.get_by_label("分组名称").fill("本店价值客户")
    _count_is(page, 3)  # every member of store A, none of B

    page.locator("#id_r-new").select_option("rfm_group")
    page.get_by_role("button", name="添加条件").click()
    page.get_by_label("重要价值").check()
    _count_is(page, 2)
    assert page.get_by_text("门店分布").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots_dir / "segment-builder-phone.png", full_page=True)

    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/segments/\d+/$"))
    body = page.content()
    assert "甲店价值0" in body and "甲店价值1" in body
    assert "乙店金丝雀" not in body and "甲店挽留" not in body
    segment = Segment.objects.get(name="本店价值客户")
    assert segment.store == chain["manager"].store
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert traffic.static_failures() == []
