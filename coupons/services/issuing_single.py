"""A guide (or the store manager) hands one coupon to one member (导购单发).

Only templates HQ marked "导购可单发", usable at the member's store, and within the store's
monthly allowance (the store's own StoreCouponAllowance, else HQ's default): the coupons of the
store's single batches issued this local calendar month. The store's row lock serialises every
single issue of a store, so ten guides pressing the button at once cannot overrun the allowance;
the template's row lock (taken after it, as batch chunks take it) guards quota and budget.

Each coupon is a one-member batch (source "single", the store's, finished) and writes one audit
row.
"""

import datetime
import secrets

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.dates import local_day_start, month_window
from members.audit import audit_record
from members.errors import RuleViolation
from members.models import Member, Store, User

from ..models import (
    BatchSource,
    BatchStatus,
    Coupon,
    CouponSettings,
    CouponStatus,
    CouponTemplate,
    IssueBatch,
    StoreCouponAllowance,
)
from .issuing_rules import (
    issuing_room,
    template_check_issuable,
    template_issuable,
    validity_for,
)
from .templates import template_covers_store


def coupon_code_new() -> str:
    """16 hex digits from the strong random source, like the batch job's codes."""
    return secrets.token_hex(8).upper()


def allowance_monthly(store: Store) -> int:
    own = StoreCouponAllowance.objects.filter(store=store).values_list("monthly_count", flat=True)
    count = own.first()
    return count if count is not None else CouponSettings.current().guide_monthly_allowance


def allowance_used(*, store: Store, on: datetime.date) -> int:
    start, end = (local_day_start(day) for day in month_window(on))
    return Coupon.objects.filter(
        batch__source=BatchSource.SINGLE,
        batch__store=store,
        issued_at__gte=start,
        issued_at__lt=end,
    ).count()


def allowance_left(*, store: Store, on: datetime.date) -> int:
    """Single coupons the store's staff may still hand out in `on`'s month."""
    return max(allowance_monthly(store) - allowance_used(store=store, on=on), 0)


def templates_issuable_at(*, store: Store | None, guide_may_issue: bool = False) -> QuerySet:
    """The active templates that may be issued today to the store's members, easiest first;
    with `guide_may_issue`, only those HQ lets guides hand out one by one. No store: none."""
    if store is None:
        return CouponTemplate.objects.none()
    today = timezone.localdate()
    candidates = CouponTemplate.objects.active()
    if guide_may_issue:
        candidates = candidates.filter(guide_may_issue=True)
    ids = [
        template.pk
        for template in candidates
        if template_issuable(template, on=today) and template_covers_store(template, store)
    ]
    return CouponTemplate.objects.filter(pk__in=ids).easy_first()


def templates_guide_may_issue(*, store: Store) -> QuerySet[CouponTemplate]:
    """The templates the store's staff may hand out (the portal's choice), easiest first."""
    return templates_issuable_at(store=store, guide_may_issue=True)


def may_issue_single(user: User) -> bool:
    """A store's guides and its manager hand out single coupons; HQ and region managers do not."""
    return (user.is_guide or user.is_store_manager) and bool(user.store_id)


def _check_actor(actor: User) -> None:
    if not may_issue_single(actor):
        raise RuleViolation("not_allowed", _("只有门店的店长和导购可以单张发券。"), status_code=403)


def _check_template(template: CouponTemplate, member: Member) -> None:
    template_check_issuable(template, on=timezone.localdate())
    if not template.guide_may_issue:
        raise RuleViolation(
            "template_not_for_guides",
            _("券模板“%(name)s”不能由门店单张发放。") % {"name": template.name},
        )
    if not template_covers_store(template, member.home_store):
        raise RuleViolation(
            "store_not_covered",
            _("券模板“%(name)s”不适用于该会员的归属门店。") % {"name": template.name},
        )


def _check_limits(template: CouponTemplate, member: Member, store: Store) -> None:
    if allowance_left(store=store, on=timezone.localdate()) < 1:
        raise RuleViolation(
            "allowance_used_up",
            _("本店本月的单张发券额度（%(count)s 张）已用完。")
            % {"count": allowance_monthly(store)},
        )
    on = timezone.localdate()
    held = Coupon.objects.counting_toward_limit(template, on=on).filter(member=member).count()
    if held >= template.per_member_limit:
        raise RuleViolation(
            "per_member_limit",
            _("该会员已领满此券（%(limit)s）。") % {"limit": template.limit_description()},
        )
    room, short_of = issuing_room(template)
    if room == 0:
        message = _("此券的发放总量已用完。") if short_of == "quota" else _("此券的预算已用完。")
        raise RuleViolation(short_of, message)


def _coupon_write(template: CouponTemplate, member: Member, actor: User) -> Coupon:
    now = timezone.now()
    batch = IssueBatch.objects.create(
        template=template,
        source=BatchSource.SINGLE,
        store_id=actor.store_id,
        created_by=actor,
        status=BatchStatus.FINISHED,
        target_count=1,
        issued_count=1,
        started_at=now,
        finished_at=now,
    )
    valid_from, valid_until = validity_for(template, issued_on=timezone.localdate())
    CouponTemplate.objects.filter(pk=template.pk).update(issued_count=F("issued_count") + 1)
    return Coupon.objects.create(
        code=coupon_code_new(),
        template=template,
        batch=batch,
        member=member,
        store_id=member.home_store_id,
        face_value=template.face_value,
        min_spend=template.min_spend,
        valid_from=valid_from,
        valid_until=valid_until,
        status=CouponStatus.ISSUED,
        issued_at=now,
    )


@transaction.atomic
def coupon_issue_single(*, template: CouponTemplate, member: Member, actor: User) -> Coupon:
    """One coupon to one member the actor may see (else the 404 of a missing member)."""
    _check_actor(actor)
    visible = Member.objects.visible_to(actor).select_related("home_store")
    member = visible.filter(pk=member.pk).first()
    if member is None:
        raise RuleViolation("member_not_found", _("会员不存在。"), status_code=404)
    store = Store.objects.select_for_update().get(pk=actor.store_id)
    template = CouponTemplate.objects.select_for_update().filter(pk=template.pk).first()
    if template is None:
        raise RuleViolation("template_not_found", _("券模板不存在。"), status_code=404)
    _check_template(template, member)
    _check_limits(template, member, store)
    coupon = _coupon_write(template, member, actor)
    audit_record(
        actor=actor,
        obj=coupon,
        event="coupon_issued",
        changes={"status": ["", CouponStatus.ISSUED]},
        template=template.pk,
        batch=coupon.batch_id,
    )
    return coupon
