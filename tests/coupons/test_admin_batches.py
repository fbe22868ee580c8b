"""HQ issues a batch from the admin (to any segment or a phone list) and follows its progress."""

import pytest
from django.urls import reverse

from coupons.models import BatchSource, BatchStatus, Coupon, IssueBatch
from tests.coupons.factories import CouponFactory, CouponTemplateFactory
from tests.coupons.issuing_helpers import EVERYONE, segment_batch
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:coupons_issuebatch_add")


def test_hq_issues_to_a_segment_and_lands_on_the_batch_page(
    client, hq_admin, member_a, member_b, django_capture_on_commit_callbacks
):
    template = CouponTemplateFactory()
    segment = SegmentFactory(store=None, rule=EVERYONE)
    client.force_login(hq_admin)
    form = {"template": template.pk, "source": BatchSource.SEGMENT, "segment": segment.pk}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, {**form, "key": "form:hq"})

    batch = IssueBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:coupons_issuebatch_change", args=[batch.pk])
    assert batch.store is None and Coupon.objects.count() == 2
    page = client.get(response.url).content.decode()
    assert "2 / 2" in page


def test_a_phone_list_reports_its_bad_lines_on_the_batch_page(
    client, hq_admin, member_a, django_capture_on_commit_callbacks
):
    template = CouponTemplateFactory()
    client.force_login(hq_admin)
    phones = f"{member_a.phone}\n1380013\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, {"template": template.pk, "source": "phones", "phones": phones})

    page = client.get(response.url).content.decode()
    assert Coupon.objects.get().member == member_a
    assert 'id="batch-rejected"' in page and "1380013" in page


def test_a_closed_template_is_refused_with_its_reason(client, hq_admin):
    template = CouponTemplateFactory(status="closed")
    segment = SegmentFactory(store=None, rule=EVERYONE)
    client.force_login(hq_admin)

    response = client.post(
        ADD, {"template": template.pk, "source": BatchSource.SEGMENT, "segment": segment.pk}
    )

    assert response.status_code == 400
    assert "所选券模板不存在或未启用。" in response.content.decode()


def test_progress_partial_polls_until_the_batch_ends(client, hq_admin):
    batch = segment_batch(CouponTemplateFactory(), status=BatchStatus.RUNNING)
    client.force_login(hq_admin)
    url = reverse("admin:coupons_issuebatch_progress", args=[batch.pk])

    change_page = client.get(reverse("admin:coupons_issuebatch_change", args=[batch.pk]))

    assert f'hx-get="{url}"' in change_page.content.decode()
    assert "htmx" in change_page.content.decode()
    assert f'hx-get="{url}"' in client.get(url).content.decode()


def test_store_staff_cannot_reach_the_admin_issuing(client, manager_a):
    manager_a.is_staff = True
    manager_a.save()
    client.force_login(manager_a)

    assert client.get(ADD).status_code in (302, 403)


def test_the_coupon_admin_page_shows_its_life(client, hq_admin):
    coupon = CouponFactory()
    client.force_login(hq_admin)

    page = client.get(reverse("admin:coupons_coupon_change", args=[coupon.pk])).content.decode()

    assert 'id="coupon-life"' in page and 'data-event="issued"' in page


def test_the_segment_is_searched_as_hq_types_not_listed_in_full(client, hq_admin, store_a):
    # given thousands of segments would not fit one <select>: the form lists none of them
    wanted = SegmentFactory(store=None, rule=EVERYONE, name="测试分组甲乙丙")
    SegmentFactory(store=None, rule=EVERYONE, name="门店导购测试分组")
    client.force_login(hq_admin)

    page = client.get(ADD).content.decode()

    assert "admin-autocomplete" in page and "select2" in page
    assert "测试分组甲乙丙" not in page
    # when HQ types part of a name, the admin's autocomplete finds it
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "coupons",
            "model_name": "issuebatch",
            "field_name": "segment",
            "term": "甲乙丙",
        },
    ).json()
    assert [row["id"] for row in found["results"]] == [str(wanted.pk)]
