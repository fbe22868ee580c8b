"""Issuing from the store portal: a store manager's batch to their own sub-segment and its live
progress, a store's share of an HQ batch, a guide's single coupon on the member card, and one
coupon's life page; each scoped, another store's object a 404."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coupons.models import BatchSource, BatchStatus, Coupon, IssueBatch, StoreCouponAllowance
from tests.coupons.factories import CouponFactory, CouponTemplateFactory
from tests.coupons.issuing_helpers import EVERYONE, issue, segment_batch
from tests.members.factories import MemberFactory, RegionManagerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

NEW_BATCH = reverse("portal:coupon_batch_new")


def batch_form(template, segment, **extra) -> dict:
    return {"template": template.pk, "source": BatchSource.SEGMENT, "segment": segment.pk, **extra}


def test_store_manager_issues_to_own_sub_segment_and_lands_on_its_progress(
    login, manager_a, member_a, django_capture_on_commit_callbacks
):
    template = CouponTemplateFactory()
    segment = SegmentFactory(store=manager_a.store, rule=EVERYONE)
    client = login(manager_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW_BATCH, batch_form(template, segment, key="form:1"))

    batch = IssueBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:coupon_batch", args=[batch.pk])
    assert batch.store == manager_a.store and batch.created_by == manager_a
    assert list(Coupon.objects.values_list("member", flat=True)) == [member_a.pk]
    page = client.get(response.url).content.decode()
    assert 'data-figure="issued_count">1<' in page
    assert "1 / 1" in page


def test_sending_the_same_form_twice_makes_one_batch(login, manager_a, member_a):
    template = CouponTemplateFactory()
    segment = SegmentFactory(store=manager_a.store, rule=EVERYONE)
    client = login(manager_a)

    for _ in range(2):
        client.post(NEW_BATCH, batch_form(template, segment, key="form:same"))

    assert IssueBatch.objects.count() == 1


def test_store_manager_cannot_pick_an_hq_segment(login, manager_a):
    template = CouponTemplateFactory()
    hq_segment = SegmentFactory(store=None, rule=EVERYONE)

    response = login(manager_a).post(NEW_BATCH, batch_form(template, hq_segment))

    assert response.status_code == 400
    assert "所选分组不存在或您无权使用。" in response.content.decode()
    assert not IssueBatch.objects.exists()


def test_phone_list_without_phones_is_refused_in_chinese(login, manager_a):
    template = CouponTemplateFactory()
    form = {"template": template.pk, "source": BatchSource.PHONES, "phones": "  "}

    response = login(manager_a).post(NEW_BATCH, form)

    assert response.status_code == 400
    assert "请粘贴至少一个手机号。" in response.content.decode()


def test_guides_and_region_managers_do_not_issue_batches(login, guide_a, store_a):
    assert login(guide_a).get(NEW_BATCH).status_code == 403
    region_manager = RegionManagerFactory(region=store_a.region)
    assert login(region_manager).get(NEW_BATCH).status_code == 403


def test_progress_polls_while_running_and_stops_when_finished(login, manager_a, member_a):
    batch = segment_batch(
        CouponTemplateFactory(), store=manager_a.store, status=BatchStatus.RUNNING
    )
    client = login(manager_a)
    url = reverse("portal:coupon_batch_progress", args=[batch.pk])

    running = client.get(url).content.decode()
    issue(batch)
    finished = client.get(url).content.decode()

    assert f'hx-get="{url}"' in running
    assert "hx-get" not in finished and "已完成" in finished


def test_a_store_sees_its_own_share_of_an_hq_batch_not_the_chain_total(
    login, manager_a, member_a, member_b
):
    batch = issue(segment_batch(CouponTemplateFactory(), store=None))
    assert batch.issued_count == 2
    client = login(manager_a)

    listed = client.get(reverse("portal:coupons")).content.decode()
    page = client.get(reverse("portal:coupon_batch", args=[batch.pk])).content.decode()

    assert f'data-batch="{batch.pk}"' in listed and "总部批次" in listed
    assert 'data-figure="issued_count">1<' in page
    assert "2 / 2" not in page and "2 / 2" not in listed


def test_an_hq_batch_that_reached_no_member_of_the_store_is_a_404(login, manager_b, member_a):
    batch = issue(segment_batch(CouponTemplateFactory(), store=None))

    response = login(manager_b).get(reverse("portal:coupon_batch", args=[batch.pk]))

    assert response.status_code == 404


def issue_url(member) -> str:
    return reverse("portal:member_coupon_issue", args=[member.pk])


def test_guide_hands_out_an_allowed_coupon_on_the_card(login, guide_a, member_a):
    template = CouponTemplateFactory(guide_may_issue=True, name="导购券")
    client = login(guide_a)

    card = client.get(reverse("portal:member_detail", args=[member_a.pk])).content.decode()
    response = client.post(issue_url(member_a), {"template": template.pk}, HTTP_HX_REQUEST="true")

    assert "发放这张券" in card
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="member-coupons"' in body and "导购券" in body
    assert Coupon.objects.get().member == member_a


def test_a_template_guides_may_not_issue_is_refused(login, guide_a, member_a):
    template = CouponTemplateFactory(guide_may_issue=False)

    response = login(guide_a).post(
        issue_url(member_a), {"template": template.pk}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    assert "这张券不能由导购单独发放" in response.content.decode()
    assert not Coupon.objects.exists()


def test_the_allowance_spent_refuses_with_its_reason(login, guide_a, member_a):
    template = CouponTemplateFactory(guide_may_issue=True, per_member_limit=5)
    StoreCouponAllowance.objects.create(store=guide_a.store, monthly_count=1)
    client = login(guide_a)
    client.post(issue_url(member_a), {"template": template.pk}, HTTP_HX_REQUEST="true")

    response = client.post(issue_url(member_a), {"template": template.pk}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert Coupon.objects.count() == 1
    assert "还可单独发 0 张" in response.content.decode()


def test_a_guide_cannot_issue_to_another_stores_member(login, guide_a, member_b):
    template = CouponTemplateFactory(guide_may_issue=True)

    response = login(guide_a).post(issue_url(member_b), {"template": template.pk})

    assert response.status_code == 404
    assert not Coupon.objects.exists()


def test_without_htmx_the_card_is_reloaded(login, guide_a, member_a):
    template = CouponTemplateFactory(guide_may_issue=True)

    response = login(guide_a).post(issue_url(member_a), {"template": template.pk})

    assert response.status_code == 302
    assert response.url == reverse("portal:member_detail", args=[member_a.pk])


def test_coupon_life_page_for_its_store_and_404_elsewhere(login, manager_a, manager_b, member_a):
    coupon = CouponFactory(member=member_a, face_value=Decimal("30.00"))
    url = reverse("portal:coupon_detail", args=[coupon.pk])

    own = login(manager_a).get(url)
    other = login(manager_b).get(url)

    assert own.status_code == 200 and 'data-event="issued"' in own.content.decode()
    assert other.status_code == 404


def test_a_store_page_for_a_new_member_keeps_its_queries_bounded(
    login, manager_a, django_assert_max_num_queries
):
    # given: a batch of 3 members and one of 30, both with their coupons issued
    MemberFactory.create_batch(3, home_store=manager_a.store)
    small = issue(segment_batch(CouponTemplateFactory(), store=manager_a.store))
    MemberFactory.create_batch(27, home_store=manager_a.store)
    large = issue(segment_batch(CouponTemplateFactory(), store=manager_a.store))
    assert (small.issued_count, large.issued_count) == (3, 30)
    client = login(manager_a)

    def queries_for(batch):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("portal:coupon_batch", args=[batch.pk])).status_code == 200
        return len(captured)

    # then: the page's queries do not grow with the batch
    assert queries_for(large) == queries_for(small)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("portal:coupon_batch", args=[large.pk])).status_code == 200


@pytest.mark.parametrize("role", ["hq_admin", "region_manager"])
def test_staff_without_a_store_are_refused_single_issue_not_served_a_500(
    request, login, member_a, store_a, role
):
    # given: a guide-issuable template limited to one store (its coverage needs a store to check)
    template = CouponTemplateFactory(guide_may_issue=True, usable_in="stores")
    template.stores.add(store_a)
    user = (
        request.getfixturevalue("hq_admin")
        if role == "hq_admin"
        else RegionManagerFactory(region=store_a.region)
    )
    # when
    response = login(user).post(issue_url(member_a), {"template": template.pk})
    # then
    assert response.status_code == 403
    assert not Coupon.objects.exists()
