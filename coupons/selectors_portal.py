"""Coupon reads for the store portal: a member's coupons, the coupons about to expire, a store's
batches. Each starts from visible_to(user); lists are capped (one row more than shown tells the
page whether there are more)."""

from dataclasses import dataclass
from datetime import date, timedelta

from members.models import Member
from members.phones import phone_for

from .models import Coupon, IssueBatch

MEMBER_COUPONS_SHOWN = 20
EXPIRING_SHOWN = 100
BATCHES_SHOWN = 20
# "Expiring soon" on the store's page: valid until today or one of the next six days.
EXPIRING_SOON_DAYS = 7


@dataclass(frozen=True)
class Capped:
    items: list
    capped: bool
    limit: int


def _capped(queryset, limit: int) -> Capped:
    rows = list(queryset[: limit + 1])
    return Capped(rows[:limit], len(rows) > limit, limit)


def member_coupons(user, member: Member) -> Capped:
    """The member's coupons the user may see, newest first."""
    coupons = (
        Coupon.objects.visible_to(user)
        .filter(member=member)
        .select_related("template")
        .order_by("-issued_at", "-id")
    )
    return _capped(coupons, MEMBER_COUPONS_SHOWN)


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the (local) week `day` falls in."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def soon(day: date) -> tuple[date, date]:
    """Today and the next six days: the same window as the admin's "7 天内到期"."""
    return day, day + timedelta(days=EXPIRING_SOON_DAYS - 1)


def expiring_coupons(user, *, first: date, last: date) -> Capped:
    """Unused coupons the user may see whose last valid day is in [first, last], soonest first;
    each member's phone as the user may see it."""
    coupons = (
        Coupon.objects.visible_to(user)
        .expiring_between(first, last)
        .select_related("template", "member")
        .order_by("valid_until", "member_id", "id")
    )
    listed = _capped(coupons, EXPIRING_SHOWN)
    for coupon in listed.items:
        coupon.display_phone = phone_for(user, coupon.member.phone)
    return listed


def store_batches(user) -> Capped:
    batches = (
        IssueBatch.objects.visible_to(user)
        .select_related("template", "store")
        .order_by("-created_at", "-id")
    )
    return _capped(batches, BATCHES_SHOWN)
