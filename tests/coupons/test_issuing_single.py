"""A guide's single coupon: visibility, the template's rules, the store's monthly allowance."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from coupons.models import (
    BatchSource,
    BatchStatus,
    Coupon,
    CouponSettings,
    LimitPeriod,
    StoreCouponAllowance,
    TemplateStatus,
    UsableIn,
)
from coupons.services.issuing_single import (
    allowance_left,
    coupon_issue_single,
    templates_guide_may_issue,
)
from members.audit import LogEntry
from members.errors import RuleViolation
from tests.coupons.factories import CouponFactory, CouponTemplateFactory
from tests.members.factories import GuideFactory, MemberFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def template():
    return CouponTemplateFactory(guide_may_issue=True, per_member_limit=5)


def refused(**kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        coupon_issue_single(**kwargs)
    return caught.value


def allowance(store, count):
    return StoreCouponAllowance.objects.create(store=store, monthly_count=count)


def test_a_guide_issues_one_coupon_to_their_member(template, guide_a, member_a, store_a):
    # when
    coupon = coupon_issue_single(template=template, member=member_a, actor=guide_a)
    # then
    assert (coupon.member, coupon.store, coupon.template) == (member_a, store_a, template)
    assert re.fullmatch(r"[0-9A-F]{16}", coupon.code)
    assert coupon.valid_until == timezone.localdate() + timedelta(days=29)
    batch = coupon.batch
    assert (batch.source, batch.store, batch.created_by, batch.status) == (
        BatchSource.SINGLE,
        store_a,
        guide_a,
        BatchStatus.FINISHED,
    )
    assert (batch.target_count, batch.issued_count) == (1, 1)
    template.refresh_from_db()
    assert template.issued_count == 1
    entry = LogEntry.objects.get(object_pk=str(coupon.pk))
    assert entry.actor == guide_a and entry.additional_data["event"] == "coupon_issued"


def test_the_store_manager_may_issue_too(template, manager_a, member_a):
    assert coupon_issue_single(template=template, member=member_a, actor=manager_a).pk


@pytest.mark.parametrize("whose", ["other_guide", "other_store"])
def test_a_member_the_guide_may_not_see_is_not_found(whose, template, guide_a, store_a, member_b):
    member = MemberFactory(home_store=store_a, guide=GuideFactory(store=store_a))
    target = member if whose == "other_guide" else member_b
    error = refused(template=template, member=target, actor=guide_a)
    assert (error.code, error.status_code, str(error.message)) == (
        "member_not_found",
        404,
        "会员不存在。",
    )
    assert not Coupon.objects.exists()


def test_hq_hands_out_coupons_by_batch_not_one_by_one(template, hq_admin, member_a):
    assert refused(template=template, member=member_a, actor=hq_admin).status_code == 403


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"guide_may_issue": False}, "template_not_for_guides"),
        ({"status": TemplateStatus.CLOSED}, "template_not_active"),
        ({"usable_in": UsableIn.STORES}, "store_not_covered"),
    ],
)
def test_only_templates_for_guides_usable_at_the_members_store(fields, code, guide_a, member_a):
    template = CouponTemplateFactory(**{"guide_may_issue": True, **fields})
    assert refused(template=template, member=member_a, actor=guide_a).code == code


def test_per_member_limit_and_quota_hold(guide_a, member_a, store_a):
    limited = CouponTemplateFactory(guide_may_issue=True, per_member_limit=1)
    coupon_issue_single(template=limited, member=member_a, actor=guide_a)
    assert refused(template=limited, member=member_a, actor=guide_a).code == "per_member_limit"
    quota = CouponTemplateFactory(guide_may_issue=True, total_quota=1)
    other = MemberFactory(home_store=store_a, guide=guide_a)
    coupon_issue_single(template=quota, member=member_a, actor=guide_a)
    assert refused(template=quota, member=other, actor=guide_a).code == "quota"


def test_the_stores_own_allowance_runs_out(template, guide_a, member_a, store_a):
    # given
    allowance(store_a, 2)
    for _ in range(2):
        coupon_issue_single(template=template, member=member_a, actor=guide_a)
    # when
    error = refused(template=template, member=member_a, actor=guide_a)
    # then
    assert error.code == "allowance_used_up" and "2 张" in str(error.message)
    assert allowance_left(store=store_a, on=timezone.localdate()) == 0


def test_without_its_own_allowance_a_store_has_hqs_default(template, guide_a, store_a, store_b):
    settings_row = CouponSettings.current()
    settings_row.guide_monthly_allowance = 7
    settings_row.save()
    allowance(store_b, 3)
    today = timezone.localdate()
    assert allowance_left(store=store_a, on=today) == 7
    assert allowance_left(store=store_b, on=today) == 3


def test_the_allowance_counts_this_months_single_coupons_of_the_store_only(
    template, guide_a, member_a, store_a, store_b
):
    # given: a single coupon last month, a batch coupon this month, one single this month, and
    # another store's single coupon this month
    allowance(store_a, 5)
    CouponFactory(batch__source=BatchSource.SINGLE, batch__store=store_b)
    today = timezone.localdate()
    last_month = timezone.now() - timedelta(days=today.day + 1)
    CouponFactory(
        batch__source=BatchSource.SINGLE,
        batch__store=store_a,
        member=member_a,
        issued_at=last_month,
    )
    CouponFactory(batch__source=BatchSource.SEGMENT, batch__store=store_a, member=member_a)
    coupon_issue_single(template=template, member=member_a, actor=guide_a)
    # then
    assert allowance_left(store=store_a, on=today) == 4
    assert allowance_left(store=store_a, on=today - timedelta(days=today.day)) == 4


def test_the_portal_lists_the_templates_the_store_may_hand_out(store_a, store_b):
    anywhere = CouponTemplateFactory(guide_may_issue=True, ease_rank=2)
    first = CouponTemplateFactory(guide_may_issue=True, ease_rank=1)
    only_b = CouponTemplateFactory(guide_may_issue=True, usable_in=UsableIn.STORES)
    only_b.stores.set([store_b])
    CouponTemplateFactory(guide_may_issue=False)
    CouponTemplateFactory(guide_may_issue=True, status=TemplateStatus.DRAFT)
    assert list(templates_guide_may_issue(store=store_a)) == [first, anywhere]
    assert set(templates_guide_may_issue(store=store_b)) == {first, anywhere, only_b}


THREADS = 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_guides_issuing_at_the_same_instant_never_overrun_the_allowance(store_a):
    # given: an allowance of 3; twelve guides, each with a member and a template of their own
    # (so only the store's lock stands between them), released together
    allowance(store_a, 3)
    pairs = []
    for _ in range(THREADS):
        guide = GuideFactory(store=store_a)
        member = MemberFactory(home_store=store_a, guide=guide)
        pairs.append((guide, member, CouponTemplateFactory(guide_may_issue=True)))

    def work(i):
        guide, member, template = pairs[i]
        return coupon_issue_single(template=template, member=member, actor=guide)

    results = run_together(work, THREADS)
    # then
    issued = [r for r in results if isinstance(r, Coupon)]
    codes = [getattr(r, "code", repr(r)) for r in results if not isinstance(r, Coupon)]
    assert len(issued) == 3, results
    assert codes == ["allowance_used_up"] * (THREADS - 3)
    assert Coupon.objects.count() == 3


def test_a_monthly_limit_counts_only_this_months_coupons(guide_a, member_a):
    # given a template limited to one a month, and last month's coupon of it
    monthly = CouponTemplateFactory(
        guide_may_issue=True, per_member_limit=1, limit_period=LimitPeriod.MONTH
    )
    last_month = coupon_issue_single(template=monthly, member=member_a, actor=guide_a)
    Coupon.objects.filter(pk=last_month.pk).update(issued_at=timezone.now() - timedelta(days=32))
    # when the guide hands it out this month, then again
    coupon_issue_single(template=monthly, member=member_a, actor=guide_a)
    error = refused(template=monthly, member=member_a, actor=guide_a)
    # then the first works; the second is refused with the period in the message
    assert error.code == "per_member_limit"
    assert "每人每月限领 1 张" in str(error.message)
