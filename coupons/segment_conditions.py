"""Segment conditions on coupons (family "优惠券"), registered with the segment engine from
CouponsConfig.ready(): members holding an unused coupon, members who used one lately.

Each is an uncorrelated `pk__in` subquery, like the purchase conditions: Postgres hashes it once,
also when a rule ORs it with other conditions.
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jobs.dates import last_days_window
from members.segments.fields import days_field
from members.segments.registry import Condition, register

from .models import Coupon, CouponKind, CouponTemplate, Redemption

FAMILY = _("优惠券")
FAMILY_RANK = 50


class TemplateOrKindForm(forms.Form):
    """A template or a kind of coupon; `need_one` says whether one of them is required."""

    need_one = False

    template = forms.ModelChoiceField(
        queryset=CouponTemplate.objects.order_by("name"),
        required=False,
        label=_("券模板"),
        empty_label=_("不限模板"),
        error_messages={"invalid_choice": _("所选券模板不存在。")},
    )
    kind = forms.ChoiceField(
        choices=[("", _("不限券类型")), *CouponKind.choices],
        required=False,
        label=_("券类型"),
        error_messages={"invalid_choice": _("“%(value)s”不是可选的券类型。")},
    )

    def clean(self):
        cleaned = super().clean()
        if "template" in self.errors or "kind" in self.errors:
            return cleaned
        template, kind = cleaned.get("template"), cleaned.get("kind")
        if template is not None and kind:
            raise forms.ValidationError(
                _("券模板和券类型只能选择其中一项。"), code="template_and_kind"
            )
        if self.need_one and template is None and not kind:
            raise forms.ValidationError(_("请选择一个券模板或一种券类型。"), code="required")
        return cleaned


def _of_template_or_kind(params: dict, *, prefix: str = "") -> Q:
    if params.get("template") is not None:
        return Q(**{f"{prefix}template": params["template"]})
    if params.get("kind"):
        return Q(**{f"{prefix}template__kind": params["kind"]})
    return Q()


def _describe_template_or_kind(params: dict) -> str:
    if params.get("template") is not None:
        return gettext("模板“%(name)s”") % {"name": params["template"]}
    if params.get("kind"):
        return str(CouponKind(params["kind"]).label)
    return ""


class HoldsUnusedCouponForm(TemplateOrKindForm):
    need_one = True


@register
class HoldsUnusedCouponCondition(Condition):
    """Holds a coupon not used and not past its last valid day (a reason to call)."""

    key = "holds_unused_coupon"
    label = _("持有未使用的券（按模板或券类型）")
    family = FAMILY
    family_rank = FAMILY_RANK
    form_class = HoldsUnusedCouponForm

    def q(self, params, *, today):
        holders = (
            Coupon.objects.unused()
            .filter(_of_template_or_kind(params), valid_until__gte=today)
            .values("member_id")
        )
        return Q(pk__in=holders)

    def describe(self, params):
        return gettext("持有未使用的券：%(which)s") % {"which": _describe_template_or_kind(params)}


class RedeemedWithinForm(TemplateOrKindForm):
    days = days_field(_("最近天数"))


@register
class RedeemedCouponWithinCondition(Condition):
    """Used a coupon (a live redemption: a refunded one does not count) in the last N days,
    counted like purchases: from local midnight N days ago up to the end of today."""

    key = "redeemed_coupon_within"
    label = _("最近 N 天用过券（可限模板或券类型）")
    family = FAMILY
    family_rank = FAMILY_RANK
    form_class = RedeemedWithinForm

    def q(self, params, *, today):
        start, end = last_days_window(days=params["days"], today=today)
        users = (
            Redemption.objects.live()
            .filter(
                _of_template_or_kind(params, prefix="coupon__"),
                redeemed_at__gte=start,
                redeemed_at__lt=end,
            )
            .values("coupon__member_id")
        )
        return Q(pk__in=users)

    def describe(self, params):
        which = _describe_template_or_kind(params)
        text = gettext("最近 %(days)d 天用过券") % {"days": params["days"]}
        return f"{text}（{which}）" if which else text
