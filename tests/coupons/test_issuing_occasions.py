"""Welcome packs and birthday coupons: keyed batches, re-run by the clock, idempotent."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from coupons import tasks
from coupons.models import (
    BatchSource,
    Coupon,
    CouponSettings,
    IssueBatch,
    LimitPeriod,
    TemplateStatus,
    WelcomePackItem,
)
from coupons.services.issuing_occasions import birthday_coupons_issue, welcome_pack_issue
from tests.coupons.factories import CouponTemplateFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

JOINED = date(2026, 11, 2)


@pytest.fixture
def pack():
    templates = [CouponTemplateFactory(name=f"开卡礼{n}") for n in range(1, 4)]
    for position, template in enumerate(templates, start=1):
        WelcomePackItem.objects.create(template=template, position=position)
    return templates


def coupons_of(member) -> list[str]:
    return sorted(Coupon.objects.filter(member=member).values_list("template__name", flat=True))


def test_new_members_get_the_three_coupons_of_the_pack(pack, store_a):
    # given
    new = [MemberFactory(home_store=store_a, joined_at=JOINED) for _ in range(2)]
    earlier = MemberFactory(home_store=store_a, joined_at=JOINED - timedelta(days=1))
    # when
    batches = welcome_pack_issue(joined_on=JOINED)
    # then
    assert [b.key for b in batches] == [f"welcome:{t.pk}:2026-11-02" for t in pack]
    assert {(b.source, b.store_id, b.target_on, b.status) for b in batches} == {
        (BatchSource.WELCOME, None, JOINED, "finished")
    }
    assert all(coupons_of(m) == ["开卡礼1", "开卡礼2", "开卡礼3"] for m in new)
    assert coupons_of(earlier) == []


def test_the_welcome_pack_is_idempotent_and_picks_up_a_member_added_later(pack, store_a):
    # given
    first = MemberFactory(home_store=store_a, joined_at=JOINED)
    welcome_pack_issue(joined_on=JOINED)
    codes = set(Coupon.objects.values_list("code", flat=True))
    # when: run again, then a member imported late, run again
    welcome_pack_issue(joined_on=JOINED)
    assert set(Coupon.objects.values_list("code", flat=True)) == codes
    late = MemberFactory(home_store=store_a, joined_at=JOINED)
    batches = welcome_pack_issue(joined_on=JOINED)
    # then
    assert IssueBatch.objects.count() == 3
    assert len(coupons_of(first)) == 3 and len(coupons_of(late)) == 3
    assert set(Coupon.objects.filter(member=first).values_list("code", flat=True)) <= codes
    assert [(b.target_count, b.issued_count) for b in batches] == [(2, 2)] * 3


def test_no_batch_for_a_day_nobody_joined_and_inactive_pack_coupons_skipped(pack, store_a):
    assert welcome_pack_issue(joined_on=JOINED) == []
    pack[1].status = TemplateStatus.CLOSED
    pack[1].save()
    MemberFactory(home_store=store_a, joined_at=JOINED)
    assert [b.template for b in welcome_pack_issue(joined_on=JOINED)] == [pack[0], pack[2]]


def test_the_hourly_task_covers_today_and_yesterday(
    pack, store_a, django_capture_on_commit_callbacks
):
    # given
    today = timezone.localdate()
    joined_today = MemberFactory(home_store=store_a, joined_at=today)
    joined_yesterday = MemberFactory(home_store=store_a, joined_at=today - timedelta(days=1))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        tasks.welcome_pack_hourly.delay()
    # then
    assert len(coupons_of(joined_today)) == 3 and len(coupons_of(joined_yesterday)) == 3


# --- Birthdays ----------------------------------------------------------------------------------


@pytest.fixture
def birthday_template():
    template = CouponTemplateFactory(name="生日券", per_member_limit=99)
    settings_row = CouponSettings.current()
    settings_row.birthday_template = template
    settings_row.save()
    return template


def test_no_birthday_template_no_batch(store_a):
    MemberFactory(home_store=store_a, birthday=date(1990, 11, 5))
    assert birthday_coupons_issue(month=JOINED) is None
    assert not IssueBatch.objects.exists()


def test_birthday_batch_is_for_the_months_birthdays_and_idempotent(birthday_template, store_a):
    # given
    november = MemberFactory(home_store=store_a, birthday=date(1990, 11, 30))
    MemberFactory(home_store=store_a, birthday=date(1990, 10, 31))
    MemberFactory(home_store=store_a, birthday=None)
    # when: the daily run twice, a member joins, once more
    batch = birthday_coupons_issue(month=JOINED)
    again = birthday_coupons_issue(month=JOINED + timedelta(days=1))
    joined = MemberFactory(home_store=store_a, birthday=date(2001, 11, 1))
    last = birthday_coupons_issue(month=JOINED + timedelta(days=2))
    # then
    assert batch.pk == again.pk == last.pk
    assert batch.key == f"birthday:{birthday_template.pk}:2026-11"
    assert batch.target_on == date(2026, 11, 1)
    holders = list(Coupon.objects.values_list("member_id", flat=True).order_by("member_id"))
    assert holders == [november.pk, joined.pk]
    assert last.issued_count == 2


def test_next_years_birthday_batch_is_another_batch(birthday_template, store_a):
    member = MemberFactory(home_store=store_a, birthday=date(1990, 11, 30))
    birthday_coupons_issue(month=JOINED)
    birthday_coupons_issue(month=date(2027, 11, 3))
    assert Coupon.objects.filter(member=member).count() == 2


def test_the_daily_task_issues_this_months_birthday_coupons(
    birthday_template, store_a, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    member = MemberFactory(
        home_store=store_a, birthday=today.replace(year=1992)
    )  # leap: 29 Feb too
    with django_capture_on_commit_callbacks(execute=True):
        tasks.birthday_coupons_daily.delay()
    assert Coupon.objects.filter(member=member, template=birthday_template).count() == 1


@pytest.fixture
def yearly_birthday_template(birthday_template):
    birthday_template.per_member_limit = 1
    birthday_template.limit_period = LimitPeriod.YEAR
    birthday_template.save()
    return birthday_template


def test_a_yearly_limit_lets_last_years_birthday_coupon_not_count(
    yearly_birthday_template, store_a
):
    # given a member who got last year's birthday coupon
    member = MemberFactory(home_store=store_a, birthday=date(1990, 11, 30))
    birthday_coupons_issue(month=JOINED)
    a_year_ago = timezone.now() - timedelta(days=366)
    Coupon.objects.filter(member=member).update(issued_at=a_year_ago)
    # when this year's birthday batch runs
    batch = birthday_coupons_issue(month=date(2027, 11, 3))
    # then the member gets this year's coupon too
    assert Coupon.objects.filter(member=member).count() == 2
    assert batch.issued_count == 1


def test_a_yearly_limit_still_holds_within_the_year(yearly_birthday_template, store_a):
    member = MemberFactory(home_store=store_a, birthday=date(1990, 11, 30))
    birthday_coupons_issue(month=JOINED)

    batch = birthday_coupons_issue(month=date(2027, 11, 3))

    assert Coupon.objects.filter(member=member).count() == 1
    assert batch.skipped == {"per_member_limit": 1}
