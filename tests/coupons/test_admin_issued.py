"""HQ admin for what was issued and used: batches, coupons (作废 audited), redemptions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from coupons.models import BatchSource, BatchStatus, CouponStatus
from members.audit import LogEntry
from tests.coupons.factories import CouponFactory, IssueBatchFactory
from tests.coupons.factories_roi import RedemptionFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

COUPONS = reverse("admin:coupons_coupon_changelist")
BATCHES = reverse("admin:coupons_issuebatch_changelist")
REDEMPTIONS = reverse("admin:coupons_redemption_changelist")


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


# --- Batches ------------------------------------------------------------------------------------


@pytest.fixture
def running_batch(store_a, hq_admin):
    return IssueBatchFactory(
        store=store_a,
        source=BatchSource.PHONES,
        status=BatchStatus.RUNNING,
        target_count=200,
        issued_count=50,
        skipped={"quota": 3, "per_member_limit": 2},
        rejected=[{"line": 4, "value": "1380013", "reason": "不是有效的手机号"}],
        created_by=hq_admin,
    )


def test_batch_list_shows_owner_status_and_progress_with_bounded_queries(
    hq_client, running_batch, django_assert_max_num_queries
):
    for _ in range(10):
        IssueBatchFactory(target_count=10, issued_count=10)

    with django_assert_max_num_queries(12):
        response = hq_client.get(BATCHES)

    text = response.content.decode()
    assert response.status_code == 200
    assert "50 / 200 · 发放中" in text and 'id="batch-progress-' in text
    assert "甲店" in text and "总部" in text and "有门槛小面额" in text


def test_batch_detail_shows_skips_by_reason_and_rejected_lines(hq_client, running_batch):
    url = reverse("admin:coupons_issuebatch_change", args=[running_batch.pk])

    text = hq_client.get(url).content.decode()

    assert "发放总量已用完" in text and "已达每人限领" in text
    assert "1380013" in text and "不是有效的手机号" in text
    assert "50 / 200 · 发放中" in text


def test_a_batch_once_made_is_read_only(hq_client, running_batch):
    url = reverse("admin:coupons_issuebatch_change", args=[running_batch.pk])
    response = hq_client.post(url, {"target_count": "1"})
    running_batch.refresh_from_db()
    assert response.status_code == 403
    assert running_batch.target_count == 200


# --- Coupons ------------------------------------------------------------------------------------


def test_coupon_list_masks_phones_and_keeps_queries_bounded(
    hq_client, store_a, django_assert_max_num_queries
):
    member = MemberFactory(home_store=store_a, phone="13812345678")
    CouponFactory(member=member, code="CPN0000001")
    for _ in range(15):
        CouponFactory(member=MemberFactory(home_store=store_a))

    with django_assert_max_num_queries(12):
        response = hq_client.get(COUPONS)

    text = response.content.decode()
    assert "CPN0000001" in text and "138****5678" in text
    assert "13812345678" not in text


def test_coupon_search_by_phone_tail_or_code_never_by_full_phone(hq_client, store_a):
    member = MemberFactory(home_store=store_a, phone="13812345678")
    CouponFactory(member=member, code="CPNTAIL001")
    CouponFactory(code="CPNOTHER01")

    by_tail = hq_client.get(COUPONS, {"q": "5678"}).content.decode()
    by_code = hq_client.get(COUPONS, {"q": "cpnother01"}).content.decode()
    by_phone = hq_client.get(COUPONS, {"q": "13812345678"}).content.decode()

    assert "CPNTAIL001" in by_tail and "CPNOTHER01" not in by_tail
    assert "CPNOTHER01" in by_code and "CPNTAIL001" not in by_code
    assert "CPNTAIL001" not in by_phone


def test_coupon_list_filters_expiring_within_seven_days(hq_client):
    today = timezone.localdate()
    CouponFactory(code="CPNSOON001", valid_until=today + timedelta(days=3))
    CouponFactory(code="CPNLATE001", valid_until=today + timedelta(days=20))
    CouponFactory(
        code="CPNUSED001", valid_until=today + timedelta(days=2), status=CouponStatus.REDEEMED
    )

    text = hq_client.get(COUPONS, {"expiring": "7"}).content.decode()

    assert "CPNSOON001" in text
    assert "CPNLATE001" not in text and "CPNUSED001" not in text


def test_seven_days_means_today_and_the_next_six_as_on_the_store_page(hq_client):
    today = timezone.localdate()
    CouponFactory(code="CPNDAY6001", valid_until=today + timedelta(days=6))
    CouponFactory(code="CPNDAY7001", valid_until=today + timedelta(days=7))

    text = hq_client.get(COUPONS, {"expiring": "7"}).content.decode()

    assert "CPNDAY6001" in text and "CPNDAY7001" not in text


def _void(client, *coupons):
    return client.post(
        COUPONS, {"action": "void", "_selected_action": [c.pk for c in coupons]}, follow=True
    )


def test_void_goes_through_the_status_door_and_is_audited(hq_client, hq_admin):
    issued = CouponFactory()
    redeemed = CouponFactory(status=CouponStatus.REDEEMED)

    response = _void(hq_client, issued, redeemed)

    assert "已作废 2 张优惠券。" in response.content.decode()
    for coupon in (issued, redeemed):
        coupon.refresh_from_db()
        assert coupon.status == CouponStatus.VOIDED
        entry = LogEntry.objects.get(object_pk=str(coupon.pk))
        assert entry.additional_data["event"] == "coupon_void" and entry.actor == hq_admin


def test_an_expired_coupon_cannot_be_voided(hq_client):
    expired = CouponFactory(status=CouponStatus.EXPIRED)
    voided = CouponFactory(status=CouponStatus.VOIDED)

    response = _void(hq_client, expired, voided)

    text = response.content.decode()
    assert "已作废 0 张优惠券。" in text and "1 张优惠券已过期或已作废，不能再作废。" in text
    expired.refresh_from_db()
    assert expired.status == CouponStatus.EXPIRED
    assert not LogEntry.objects.filter(object_pk__in=[str(expired.pk), str(voided.pk)]).exists()


# --- Redemptions --------------------------------------------------------------------------------


def test_redemption_list_is_read_only_with_bounded_queries(
    hq_client, store_a, django_assert_max_num_queries
):
    RedemptionFactory(order_no="ORDER-ROI-1", coupon__member__home_store=store_a)
    for _ in range(10):
        RedemptionFactory()

    with django_assert_max_num_queries(12):
        response = hq_client.get(REDEMPTIONS)

    text = response.content.decode()
    assert "ORDER-ROI-1" in text and "¥302.00" in text
    assert hq_client.get(reverse("admin:coupons_redemption_add")).status_code == 403
    assert hq_client.get(REDEMPTIONS, {"q": "ORDER-ROI-1"}).status_code == 200


def test_store_manager_with_a_staff_flag_gets_nothing(client, manager_a):
    manager_a.is_staff = True
    manager_a.save()
    client.force_login(manager_a)

    for url in (COUPONS, BATCHES, REDEMPTIONS, reverse("admin:coupons_redemption_roi")):
        assert client.get(url).status_code in (302, 403), url
