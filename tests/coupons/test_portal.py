"""The store portal's coupon pages: the store's page (managers), the week's expiring coupons
(guides), the member card's coupons; per role, scoped, with bounded queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coupons.models import BatchStatus, CouponStatus
from coupons.selectors_portal import week_of
from members.phones import mask_phone
from tests.coupons.factories import CouponFactory, CouponTemplateFactory, IssueBatchFactory
from tests.coupons.factories_roi import RedemptionFactory
from tests.members.factories import (
    GuideFactory,
    MemberFactory,
    RegionManagerFactory,
)

pytestmark = pytest.mark.django_db

STORE_PAGE = reverse("portal:coupons")
EXPIRING = reverse("portal:coupons_expiring")


def main_of(response) -> str:
    text = response.content.decode()
    return text[text.index("<main") : text.index("</main>")]


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def today():
    return timezone.localdate()


# --- The store's page ---------------------------------------------------------------------------


@pytest.fixture
def shop_a(store_a, member_a):
    """Store A this month: a running batch, a redemption, a coupon expiring in three days."""
    template = CouponTemplateFactory(
        name="满300减50", face_value=Decimal("50"), min_spend=Decimal("300")
    )
    batch = IssueBatchFactory(
        template=template,
        store=store_a,
        status=BatchStatus.RUNNING,
        target_count=80,
        issued_count=20,
    )
    used = CouponFactory(batch=batch, member=MemberFactory(home_store=store_a), code="CPNUSEDA01")
    RedemptionFactory(coupon=used, order_amount=Decimal("460.00"))
    CouponFactory(
        batch=batch, member=member_a, code="CPNSOONA01", valid_until=today() + timedelta(days=3)
    )
    return batch


@pytest.fixture
def shop_b(store_b, member_b):
    template = CouponTemplateFactory(name="乙店专享券")
    batch = IssueBatchFactory(template=template, store=store_b, target_count=77, issued_count=7)
    used = CouponFactory(batch=batch, member=MemberFactory(home_store=store_b), code="CPNUSEDB01")
    RedemptionFactory(coupon=used, order_amount=Decimal("98765.00"), order_no="ORDER-B-1")
    CouponFactory(
        batch=batch, member=member_b, code="CPNSOONB01", valid_until=today() + timedelta(days=2)
    )
    return batch


def test_store_manager_sees_batches_figures_and_expiring_coupons(
    login, manager_a, shop_a, shop_b, member_a
):
    response = login(manager_a).get(STORE_PAGE)

    assert response.status_code == 200
    main = main_of(response)
    assert "满300减50" in main and "20 / 80 · 发放中" in main
    assert "¥50.00" in main and "¥460.00" in main and "9.20" in main
    assert "CPNSOONA01" in main and mask_phone(member_a.phone) in main
    assert reverse("portal:member_detail", kwargs={"pk": member_a.pk}) in main
    assert member_a.phone not in main


def test_store_manager_never_sees_another_stores_coupons_batches_or_figures(
    login, manager_a, shop_a, shop_b
):
    main = main_of(login(manager_a).get(STORE_PAGE))

    for canary in ("乙店专享券", "7 / 77", "CPNSOONB01", "98,765.00", "ORDER-B-1"):
        assert canary not in main


def test_region_manager_sees_each_store_of_their_region(client, store_a, shop_a, shop_b):
    manager = RegionManagerFactory(region=store_a.region)
    client.force_login(manager)

    main = main_of(client.get(STORE_PAGE))

    assert 'id="roi-by-store"' in main and store_a.name in main
    assert "CPNSOONA01" in main and "CPNSOONB01" not in main and "乙店专享券" not in main


def test_guides_get_403_and_hq_goes_to_the_admin(login, guide_a, hq_admin, client):
    assert login(guide_a).get(STORE_PAGE).status_code == 403
    client.force_login(hq_admin)
    response = client.get(STORE_PAGE)
    assert response.status_code == 302
    assert response.url == reverse("admin:coupons_redemption_roi")


def test_store_page_queries_do_not_grow_with_batches_or_coupons(login, manager_a, shop_a, member_a):
    client = login(manager_a)
    before = queries(client, STORE_PAGE)
    for n in range(8):
        batch = IssueBatchFactory(store=manager_a.store, target_count=n + 1)
        for _ in range(2):
            coupon = CouponFactory(
                batch=batch,
                member=MemberFactory(home_store=manager_a.store),
                valid_until=today() + timedelta(days=1),
            )
        RedemptionFactory(coupon=coupon)

    assert queries(client, STORE_PAGE) == before


def test_nav_shows_coupon_links_per_role(login, manager_a, guide_a, client):
    manager_nav = login(manager_a).get(reverse("portal:member_list")).content.decode()
    assert STORE_PAGE in manager_nav and EXPIRING not in manager_nav
    client.force_login(guide_a)
    guide_nav = client.get(reverse("portal:member_list")).content.decode()
    assert EXPIRING in guide_nav and f'href="{STORE_PAGE}"' not in guide_nav


# --- The week's expiring coupons ----------------------------------------------------------------


def test_guide_sees_their_members_coupons_expiring_this_week(login, guide_a, member_a, store_a):
    monday, sunday = week_of(today())
    other_guide = GuideFactory(store=store_a)
    not_mine = MemberFactory(home_store=store_a, guide=other_guide)
    CouponFactory(member=member_a, code="CPNTODAY01", valid_until=today())
    CouponFactory(member=member_a, code="CPNSUNDAY1", valid_until=sunday)
    CouponFactory(member=member_a, code="CPNNEXTWK1", valid_until=sunday + timedelta(days=1))
    CouponFactory(
        member=member_a,
        code="CPNLASTWK1",
        valid_from=monday - timedelta(days=9),
        valid_until=monday - timedelta(days=1),
    )
    CouponFactory(
        member=member_a, code="CPNUSED001", valid_until=sunday, status=CouponStatus.REDEEMED
    )
    CouponFactory(member=not_mine, code="CPNOTHERG1", valid_until=sunday)

    response = login(guide_a).get(EXPIRING)

    main = main_of(response)
    assert "本周到期的券" in main
    assert "CPNTODAY01" in main and "CPNSUNDAY1" in main
    for absent in ("CPNNEXTWK1", "CPNLASTWK1", "CPNUSED001", "CPNOTHERG1", not_mine.name):
        assert absent not in main
    assert main.index("CPNTODAY01") <= main.index("CPNSUNDAY1")
    assert mask_phone(member_a.phone) in main and member_a.phone not in main
    assert reverse("portal:member_detail", kwargs={"pk": member_a.pk}) in main


def test_expiring_page_queries_do_not_grow_with_coupons(login, guide_a, member_a):
    client = login(guide_a)
    CouponFactory(member=member_a, valid_until=today())
    before = queries(client, EXPIRING)
    for _ in range(10):
        CouponFactory(
            member=MemberFactory(home_store=member_a.home_store, guide=guide_a), valid_until=today()
        )

    assert queries(client, EXPIRING) == before


def test_another_stores_guide_sees_nothing_of_store_a(login, guide_b, member_a):
    CouponFactory(member=member_a, code="CPNSTOREA1", valid_until=today())

    main = main_of(login(guide_b).get(EXPIRING))

    assert "CPNSTOREA1" not in main and member_a.name not in main
    assert "没有即将到期的券。" in main


# --- The member card ----------------------------------------------------------------------------


def card(member):
    return reverse("portal:member_detail", kwargs={"pk": member.pk})


def test_member_card_lists_the_members_coupons_newest_first(login, guide_a, member_a):
    now = timezone.now()
    big = CouponTemplateFactory(name="无门槛100", face_value=Decimal("100"), min_spend=Decimal("0"))
    CouponFactory(member=member_a, code="CPNOLDER01", issued_at=now - timedelta(days=5))
    CouponFactory(
        member=member_a,
        code="CPNNEWER01",
        batch=IssueBatchFactory(template=big),
        issued_at=now,
        status=CouponStatus.REDEEMED,
    )
    CouponFactory(code="CPNSOMEONE")

    main = main_of(login(guide_a).get(card(member_a)))

    section = main[main.index('id="member-coupons"') :]
    assert section.index("CPNNEWER01") < section.index("CPNOLDER01")
    assert "无门槛大面额" in section and "¥100.00" in section and "已核销" in section
    assert "有门槛小面额" in section and "满 ¥200.00 可用" in section and "未使用" in section
    assert "无门槛" in section and "有效期至" in section
    assert "CPNSOMEONE" not in main


def test_member_card_coupons_keep_queries_bounded(login, manager_a, member_a):
    client = login(manager_a)
    CouponFactory(member=member_a)
    before = queries(client, card(member_a))
    for _ in range(25):
        CouponFactory(member=member_a)

    assert queries(client, card(member_a)) == before
    main = main_of(client.get(card(member_a)))
    assert "仅显示最近 20 张券。" in main


def test_member_card_without_coupons_says_so(login, manager_a, member_a):
    main = main_of(login(manager_a).get(card(member_a)))

    assert "暂无优惠券。" in main
