"""Creating a batch: who may issue to which segment, phone lists reported line by line."""

from datetime import date

import pytest

from coupons.models import BatchSource, BatchStatus, Coupon, IssueBatch, TemplateStatus
from coupons.services.issuing import batch_create
from members.errors import RuleViolation
from members.phone_lists import MAX_PHONES
from tests.coupons.factories import CouponTemplateFactory
from tests.coupons.issuing_helpers import EVERYONE, holders
from tests.members.factories import MemberFactory, RegionManagerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def refused(**kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        batch_create(**kwargs)
    return caught.value


# --- Who may issue to which segment -------------------------------------------------------------


def test_hq_issues_to_an_hq_segment_across_the_chain(
    hq_admin, member_a, member_b, django_capture_on_commit_callbacks
):
    # given
    segment = SegmentFactory(rule=EVERYONE)
    # when: the batch commits, its job runs (Celery eager in tests)
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(
            template=CouponTemplateFactory(),
            source=BatchSource.SEGMENT,
            segment=segment,
            actor=hq_admin,
        )
    # then
    batch.refresh_from_db()
    assert batch.store is None and batch.created_by == hq_admin
    assert batch.status == BatchStatus.FINISHED
    assert holders(batch) == {member_a.pk, member_b.pk}


def test_hq_may_issue_to_a_stores_sub_segment(
    hq_admin, store_a, member_a, member_b, django_capture_on_commit_callbacks
):
    segment = SegmentFactory(rule=EVERYONE, store=store_a)
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(
            template=CouponTemplateFactory(),
            source=BatchSource.SEGMENT,
            segment=segment,
            actor=hq_admin,
        )
    assert holders(batch) == {member_a.pk}


def test_store_manager_issues_to_their_own_sub_segment_as_their_store(
    manager_a, store_a, member_a, member_b, django_capture_on_commit_callbacks
):
    segment = SegmentFactory(rule=EVERYONE, store=store_a)
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(
            template=CouponTemplateFactory(),
            source=BatchSource.SEGMENT,
            segment=segment,
            actor=manager_a,
        )
    assert batch.store == store_a
    assert holders(batch) == {member_a.pk}


def test_store_manager_may_not_issue_to_an_hq_segment(manager_a):
    error = refused(
        template=CouponTemplateFactory(),
        source=BatchSource.SEGMENT,
        segment=SegmentFactory(),
        actor=manager_a,
    )
    assert (error.code, error.status_code) == ("segment_not_own", 403)
    assert "本店的二次分组" in str(error.message)
    assert not IssueBatch.objects.exists()


def test_another_stores_segment_is_not_found_for_a_store_manager(manager_a, store_b):
    error = refused(
        template=CouponTemplateFactory(),
        source=BatchSource.SEGMENT,
        segment=SegmentFactory(store=store_b),
        actor=manager_a,
    )
    assert (error.code, error.status_code) == ("segment_not_found", 404)


@pytest.mark.parametrize("role", ["guide", "region_manager"])
def test_guides_and_region_managers_may_not_create_batches(role, guide_a, region):
    actor = guide_a if role == "guide" else RegionManagerFactory(region=region)
    error = refused(
        template=CouponTemplateFactory(),
        source=BatchSource.SEGMENT,
        segment=SegmentFactory(),
        actor=actor,
    )
    assert error.status_code == 403 and error.code == "not_allowed"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": TemplateStatus.DRAFT}, "template_not_active"),
        ({"status": TemplateStatus.CLOSED}, "template_not_active"),
        (
            {
                "validity": "fixed",
                "valid_days": None,
                "valid_from": date(2020, 1, 1),
                "valid_until": date(2020, 2, 1),
            },
            "template_expired",
        ),
    ],
)
def test_only_an_active_template_within_its_dates_may_be_issued(fields, code, hq_admin):
    template = CouponTemplateFactory(**fields)
    error = refused(
        template=template, source=BatchSource.SEGMENT, segment=SegmentFactory(), actor=hq_admin
    )
    assert error.code == code and template.name in str(error.message)


def test_segment_is_required_and_must_be_active(hq_admin):
    template = CouponTemplateFactory()
    assert refused(template=template, source=BatchSource.SEGMENT, actor=hq_admin).code == (
        "segment_required"
    )
    inactive = SegmentFactory(active=False)
    error = refused(template=template, source=BatchSource.SEGMENT, segment=inactive, actor=hq_admin)
    assert error.code == "segment_inactive"


def test_other_sources_are_refused(hq_admin):
    error = refused(template=CouponTemplateFactory(), source=BatchSource.WELCOME, actor=hq_admin)
    assert error.code == "batch_source" and error.status_code == 400


def test_the_same_key_returns_the_batch_already_made(hq_admin):
    kwargs = {
        "template": CouponTemplateFactory(),
        "source": BatchSource.SEGMENT,
        "segment": SegmentFactory(),
        "actor": hq_admin,
        "key": "form-123",
    }
    first = batch_create(**kwargs)
    assert batch_create(**kwargs) == first
    assert IssueBatch.objects.count() == 1


def test_another_stores_key_is_refused_without_revealing_its_batch(hq_admin, manager_a):
    batch_create(
        template=CouponTemplateFactory(),
        source=BatchSource.SEGMENT,
        segment=SegmentFactory(),
        actor=hq_admin,
        key="k1",
    )
    error = refused(
        template=CouponTemplateFactory(),
        source=BatchSource.PHONES,
        phones_text="13900000001",
        actor=manager_a,
        key="k1",
    )
    assert error.code == "batch_key_taken"


# --- Phone lists --------------------------------------------------------------------------------

PASTED = """13800000001
abc
13800000002, 13800000003，13800000001
+86 138-0000-0004
1.38E+10

13900000009 12345
"""


@pytest.fixture
def listed(store_a, store_b):
    """Members 0001, 0002 and 0004 of store A, 0003 of store B; 13900000009 is nobody."""
    return {
        phone: MemberFactory(phone=phone, home_store=store)
        for phone, store in [
            ("13800000001", store_a),
            ("13800000002", store_a),
            ("13800000003", store_b),
            ("13800000004", store_a),
        ]
    }


def test_a_store_managers_phone_list_reports_each_bad_line(listed, manager_a):
    # when
    batch = batch_create(
        template=CouponTemplateFactory(),
        source=BatchSource.PHONES,
        phones_text=PASTED,
        actor=manager_a,
    )
    # then: store B's member and the stranger get the same reason; values masked when phones
    assert batch.phones.splitlines() == ["13800000001", "13800000002", "13800000004"]
    rejected = [(row["line"], row["value"], row["reason"]) for row in batch.rejected]
    assert [(line, value) for line, value, _reason in rejected] == [
        (2, "abc"),
        (3, "138****0003"),
        (5, "1.38E+10"),
        (7, "12345"),
        (7, "139****0009"),
    ]
    reasons = {value: reason for _line, value, reason in rejected}
    assert reasons["138****0003"] == reasons["139****0009"] == "该手机号不是本店会员。"
    assert "科学计数法" in reasons["1.38E+10"] and "不是有效的中国大陆手机号" in reasons["abc"]
    assert batch.store_id == manager_a.store_id


def test_hq_phone_list_accepts_every_stores_members(
    listed, hq_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(
            template=CouponTemplateFactory(),
            source=BatchSource.PHONES,
            phones_text=PASTED,
            actor=hq_admin,
        )
    assert sorted(batch.phones.splitlines()) == sorted(listed)
    strangers = [row for row in batch.rejected if "会员" in row["reason"]]
    assert strangers == [{"line": 7, "value": "139****0009", "reason": "该手机号不是会员。"}]
    assert holders(batch) == {m.pk for m in listed.values()}
    assert Coupon.objects.filter(batch=batch).count() == 4  # the duplicate counted once


def test_a_store_phone_batch_reaches_only_its_store_even_if_a_member_moves(
    listed, manager_a, store_b, django_capture_on_commit_callbacks
):
    # given: a list of store A's members; one moves to store B before the job runs
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = batch_create(
            template=CouponTemplateFactory(),
            source=BatchSource.PHONES,
            phones_text="13800000001\n13800000002",
            actor=manager_a,
        )
    moved = listed["13800000002"]
    moved.home_store = store_b
    moved.save()
    # when: the job runs (its chunk tasks are enqueued on commit too)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    # then
    assert holders(batch) == {listed["13800000001"].pk}


def test_a_list_of_more_than_fifty_thousand_numbers_is_refused(hq_admin):
    text = "\n".join(f"139{n:08d}" for n in range(MAX_PHONES + 1))
    error = refused(
        template=CouponTemplateFactory(),
        source=BatchSource.PHONES,
        phones_text=text,
        actor=hq_admin,
    )
    assert error.code == "phone_list_too_long" and "50,000" in str(error.message)


def test_an_empty_list_is_refused(hq_admin):
    error = refused(
        template=CouponTemplateFactory(),
        source=BatchSource.PHONES,
        phones_text=" \n ",
        actor=hq_admin,
    )
    assert error.code == "phone_list_empty"


def test_a_list_with_no_member_in_it_makes_a_batch_that_issues_nothing(
    hq_admin, member_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(
            template=CouponTemplateFactory(),
            source=BatchSource.PHONES,
            phones_text="13700000000\nnot a phone\n138 0000 0001",
            actor=hq_admin,
        )
    batch.refresh_from_db()
    assert (batch.status, batch.target_count, batch.issued_count) == ("finished", 0, 0)
    assert [row["line"] for row in batch.rejected] == [1, 2, 3]  # line 3: one number, no member
