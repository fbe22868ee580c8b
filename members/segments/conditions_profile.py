"""Conditions on the member's card and profile: tags, birthday, tenure, joining, source, opt-out."""

import datetime

from django import forms
from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _

from ..models import MemberTag, Source, Tag
from .fields import choices_field, days_field, range_form
from .registry import AnyOfCondition, Condition, register

FAMILY = _("会员属性")


class TagForm(forms.Form):
    tag = forms.ModelChoiceField(
        queryset=Tag.objects.all(),
        label=_("标签"),
        empty_label=_("请选择标签"),
        error_messages={
            "required": _("请选择标签。"),
            "invalid_choice": _("所选标签不存在或不可用。"),
        },
    )

    def limit_to(self, user):
        if user is not None:
            self.fields["tag"].queryset = Tag.objects.visible_to(user)


def _tagged(tag) -> Q:
    """An uncorrelated IN (hashed once by Postgres, under AND and OR alike)."""
    return Q(pk__in=MemberTag.objects.filter(tag=tag).values("member_id"))


@register
class HasTagCondition(Condition):
    key = "has_tag"
    label = _("有标签")
    family = FAMILY
    family_rank = 30
    form_class = TagForm

    def q(self, params, *, today):
        return _tagged(params["tag"])


@register
class LacksTagCondition(Condition):
    key = "lacks_tag"
    label = _("没有标签")
    family = FAMILY
    family_rank = 30
    form_class = TagForm

    def q(self, params, *, today):
        return ~_tagged(params["tag"])


class MonthMode(TextChoices):
    THIS = "this", _("本月")
    NEXT = "next", _("下月")
    GIVEN = "given", _("指定月份")


MONTHS = [(month, _("%(month)d月") % {"month": month}) for month in range(1, 13)]


class BirthdayForm(forms.Form):
    when = forms.ChoiceField(
        label=_("生日在"),
        choices=MonthMode.choices,
        error_messages={"required": _("请选择月份方式。"), "invalid_choice": _("请重新选择。")},
    )
    month = forms.TypedChoiceField(
        label=_("月份"),
        choices=[("", _("（指定月份时填写）")), *MONTHS],
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("月份必须是 1 到 12。")},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == MonthMode.GIVEN and not cleaned.get("month"):
            self.add_error("month", _("选择“指定月份”时请选择月份。"))
        return cleaned


@register
class BirthdayMonthCondition(Condition):
    key = "birthday_month"
    label = _("生日月份")
    family = FAMILY
    family_rank = 30
    form_class = BirthdayForm

    def q(self, params, *, today):
        month = {
            MonthMode.THIS: today.month,
            MonthMode.NEXT: today.month % 12 + 1,
        }.get(params["when"], params.get("month"))
        return Q(birthday__month=month)


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@register
class CardTenureCondition(Condition):
    """Completed years since the card was opened (开卡), as the five looks count them."""

    key = "card_tenure"
    label = _("开卡年限（整年）")
    family = FAMILY
    family_rank = 30
    form_class = range_form(_("至少（年）"), _("至多（年）"), max_value=100)

    def q(self, params, *, today):
        q = Q()
        if params.get("min") is not None:
            q &= Q(joined_at__lte=years_before(today, params["min"]))
        if params.get("max") is not None:
            q &= Q(joined_at__gt=years_before(today, params["max"] + 1))
        return q


class JoinedMode(TextChoices):
    THIS_MONTH = "this_month", _("本月开卡")
    WITHIN_DAYS = "within_days", _("最近 N 天内开卡")


class JoinedForm(forms.Form):
    when = forms.ChoiceField(
        label=_("开卡时间"),
        choices=JoinedMode.choices,
        error_messages={"required": _("请选择开卡时间。"), "invalid_choice": _("请重新选择。")},
    )
    days = days_field(_("天数（最近 N 天时填写）"), min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].required = False

    def clean(self):
        cleaned = super().clean()
        missing_days = cleaned.get("days") is None and "days" not in self.errors
        if cleaned.get("when") == JoinedMode.WITHIN_DAYS and missing_days:
            self.add_error("days", _("选择“最近 N 天”时请填写天数。"))
        return cleaned


@register
class JoinedCondition(Condition):
    key = "joined"
    label = _("开卡时间")
    family = FAMILY
    family_rank = 30
    form_class = JoinedForm

    def q(self, params, *, today):
        if params["when"] == JoinedMode.THIS_MONTH:
            return Q(joined_at__gte=today.replace(day=1), joined_at__lte=today)
        since = today - datetime.timedelta(days=params["days"])
        return Q(joined_at__gte=since, joined_at__lte=today)


class SourceForm(forms.Form):
    sources = choices_field(
        _("招募来源"), Source.choices, required_message=_("请至少选择一个招募来源。")
    )


@register
class SourceCondition(AnyOfCondition):
    key = "source"
    label = _("招募来源")
    family = FAMILY
    family_rank = 30
    form_class = SourceForm
    lookup = "source"
    param = "sources"


class OptOutForm(forms.Form):
    opted_out = forms.ChoiceField(
        label=_("营销消息"),
        choices=[("yes", _("已拒收营销")), ("no", _("接收营销"))],
        error_messages={"required": _("请选择是否拒收。"), "invalid_choice": _("请重新选择。")},
    )


@register
class MarketingOptOutCondition(Condition):
    key = "marketing_opt_out"
    label = _("营销拒收")
    family = _("营销")
    family_rank = 30
    form_class = OptOutForm

    def q(self, params, *, today):
        return Q(marketing_opt_out=params["opted_out"] == "yes")
