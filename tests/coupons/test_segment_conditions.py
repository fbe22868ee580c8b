"""Segment conditions on coupons: holding an unused coupon, having used one lately."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from coupons.models import CouponKind, CouponStatus
from members.errors import RuleViolation
from members.models import Member, RfmGroup
from members.segments import condition_for, rule_q, rule_validate
from members.segments.builder import condition_choices
from tests.coupons.factories import CouponFactory, CouponTemplateFactory, IssueBatchFactory
from tests.coupons.factories_roi import RedemptionFactory
from tests.members.factories import MemberFactory, MemberRfmFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def matching(*items, op="and", today=TODAY) -> set[int]:
    rule = {"op": op, "items": list(items)}
    return set(Member.objects.filter(rule_q(rule, today=today)).values_list("pk", flat=True))


def at(day: date, hour=12, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def small():
    return CouponTemplateFactory(name="满200减30")  # threshold, small


@pytest.fixture
def big():
    return CouponTemplateFactory(name="无门槛100", face_value=Decimal("100"), min_spend=Decimal(0))


def holding(template, *, until=TODAY, status=CouponStatus.ISSUED, member=None):
    return CouponFactory(
        batch=IssueBatchFactory(template=template),
        member=member or MemberFactory(),
        valid_from=until - timedelta(days=29),
        valid_until=until,
        status=status,
    ).member


def used(template, *, when, reversed_=False, member=None):
    coupon = CouponFactory(
        batch=IssueBatchFactory(template=template),
        member=member or MemberFactory(),
        status=CouponStatus.REDEEMED,
    )
    RedemptionFactory(
        coupon=coupon,
        redeemed_at=when,
        reversed_at=when + timedelta(hours=2) if reversed_ else None,
    )
    return coupon.member


def test_conditions_are_registered_in_the_coupon_family():
    families = dict(condition_choices())
    keys = [key for key, _label in families["优惠券"]]
    assert keys == ["holds_unused_coupon", "redeemed_coupon_within"]


# --- holds_unused_coupon ------------------------------------------------------------------------


def test_holds_unused_coupon_of_a_template(small, big):
    holder = holding(small)
    holds_other = holding(big)
    expired_yesterday = holding(small, until=TODAY - timedelta(days=1))
    redeemed = holding(small, status=CouponStatus.REDEEMED)
    voided = holding(small, status=CouponStatus.VOIDED)

    chosen = matching({"type": "holds_unused_coupon", "template": small.pk})

    assert chosen == {holder.pk}
    assert not chosen & {holds_other.pk, expired_yesterday.pk, redeemed.pk, voided.pk}


def test_holds_unused_coupon_of_a_kind(small, big):
    big_holder = holding(big, until=TODAY + timedelta(days=10))
    small_holder = holding(small)

    chosen = matching({"type": "holds_unused_coupon", "kind": CouponKind.NO_THRESHOLD_LARGE})

    assert chosen == {big_holder.pk}
    assert small_holder.pk not in chosen


def test_a_member_with_two_coupons_is_selected_once(small):
    member = holding(small)
    holding(small, member=member, until=TODAY + timedelta(days=3))

    rule = {"op": "and", "items": [{"type": "holds_unused_coupon", "template": small.pk}]}
    assert Member.objects.filter(rule_q(rule, today=TODAY)).count() == 1


# --- redeemed_coupon_within ---------------------------------------------------------------------


def test_redeemed_within_counts_local_days_and_live_redemptions_only(small):
    today_late = used(small, when=at(TODAY, 23, 59))
    seven_days_ago = used(small, when=at(TODAY - timedelta(days=7), 0, 1))
    eight_days_ago = used(small, when=at(TODAY - timedelta(days=7)) - timedelta(hours=13))
    refunded = used(small, when=at(TODAY - timedelta(days=1)), reversed_=True)

    chosen = matching({"type": "redeemed_coupon_within", "days": 7})

    assert chosen == {today_late.pk, seven_days_ago.pk}
    assert not chosen & {eight_days_ago.pk, refunded.pk}


def test_redeemed_within_of_a_template_or_kind(small, big):
    small_user = used(small, when=at(TODAY - timedelta(days=2)))
    big_user = used(big, when=at(TODAY - timedelta(days=2)))

    by_template = matching({"type": "redeemed_coupon_within", "days": 30, "template": big.pk})
    by_kind = matching(
        {"type": "redeemed_coupon_within", "days": 30, "kind": CouponKind.THRESHOLD_SMALL}
    )

    assert by_template == {big_user.pk}
    assert by_kind == {small_user.pk}


# --- Combined with other conditions -------------------------------------------------------------


def test_coupon_conditions_combine_with_others(small, big):
    # The win-back member holding a coupon they have not used: the guide's reason to call.
    winback_holder = holding(small)
    MemberRfmFactory(member=winback_holder, group=RfmGroup.IMPORTANT_WINBACK)
    value_holder = holding(small)
    MemberRfmFactory(member=value_holder, group=RfmGroup.IMPORTANT_VALUE)
    recent_user = used(big, when=at(TODAY))
    holds = {"type": "holds_unused_coupon", "template": small.pk}
    winback = {"type": "rfm_group", "groups": ["important_winback"]}
    redeemed = {"type": "redeemed_coupon_within", "days": 30}

    assert matching(holds, winback) == {winback_holder.pk}
    assert matching(winback, redeemed, op="or") == {winback_holder.pk, recent_user.pk}
    nested = {"op": "or", "items": [holds, redeemed]}
    assert matching(nested, {"type": "rfm_group", "groups": ["important_value"]}) == {
        value_holder.pk
    }


# --- Validation ---------------------------------------------------------------------------------


def errors_of(item) -> list[str]:
    return [error.message for error in rule_validate({"op": "and", "items": [item]})]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"type": "holds_unused_coupon"}, "请选择一个券模板或一种券类型。"),
        ({"type": "holds_unused_coupon", "kind": "huge"}, "“huge”不是可选的券类型。"),
        ({"type": "holds_unused_coupon", "template": 999999}, "所选券模板不存在。"),
        ({"type": "holds_unused_coupon", "template": "abc"}, "所选券模板不存在。"),
        ({"type": "redeemed_coupon_within"}, "请填写天数。"),
        ({"type": "redeemed_coupon_within", "days": 0}, "天数不能小于 1。"),
        ({"type": "redeemed_coupon_within", "days": "x"}, "天数必须是整数。"),
        ({"type": "redeemed_coupon_within", "days": 10**9}, "天数不能大于 36500。"),
    ],
)
def test_bad_params_are_rejected_in_chinese(item, message):
    assert message in errors_of(item)


def test_template_and_kind_together_are_refused(small):
    item = {"type": "holds_unused_coupon", "template": small.pk, "kind": small.kind}

    assert errors_of(item) == ["券模板和券类型只能选择其中一项。"]
    with pytest.raises(RuleViolation):
        rule_q({"op": "and", "items": [item]}, today=TODAY)


def test_describe_says_what_the_condition_selects(small):
    holds = condition_for("holds_unused_coupon")
    redeemed = condition_for("redeemed_coupon_within")

    assert holds.describe({"template": small}) == "持有未使用的券：模板“满200减30”"
    assert redeemed.describe({"days": 30, "kind": CouponKind.THRESHOLD_SMALL}) == (
        "最近 30 天用过券（有门槛小面额）"
    )
    assert redeemed.describe({"days": 7}) == "最近 7 天用过券"


# --- In the rule builder ------------------------------------------------------------------------


def test_the_builder_offers_adds_and_saves_a_coupon_condition(client, manager_a, small):
    client.force_login(manager_a)
    base = {"name": "持券未用", "node": ["r", "r.0"], "r-op": "and"}

    added = client.post(
        "/segments/new/",
        {**base, "node": ["r"], "action": "add:r", "r-new": "holds_unused_coupon"},
    )
    saved = client.post(
        "/segments/new/",
        {**base, "action": "save", "r.0-type": "holds_unused_coupon", "r.0-template": small.pk},
    )

    # A new blank condition is shown with its fields and what it still needs.
    added_page = added.content.decode()
    assert "持有未使用的券（按模板或券类型）" in added_page and "满200减30" in added_page
    assert "请选择一个券模板或一种券类型。" in added_page
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    detail = client.get(saved["Location"]).content.decode()
    assert "持有未使用的券（按模板或券类型）" in detail and "满200减30" in detail


def test_the_builder_shows_the_chinese_error_of_a_coupon_condition(client, manager_a):
    client.force_login(manager_a)

    response = client.post(
        "/segments/new/",
        {
            "name": "用过券",
            "node": ["r", "r.0"],
            "r-op": "and",
            "action": "save",
            "r.0-type": "redeemed_coupon_within",
            "r.0-days": "0",
        },
    )

    assert response.status_code == 400
    assert "天数不能小于 1。" in response.content.decode()
