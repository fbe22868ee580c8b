"""The funnel page (回访漏斗), shared by the portal (store and region managers, their scope only)
and HQ's admin: a grouping, a period (this month, last month, or one plan) and the figures of
callbacks.selectors.callback_funnel, which scopes them to the user."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.dates import month_window

from .models import CallbackPlan
from .selectors import FunnelBy, callback_funnel, nudge_list


class Period:
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    PLAN = "plan"
    CHOICES = [
        (THIS_MONTH, _("本月开始的计划")),
        (LAST_MONTH, _("上月开始的计划")),
        (PLAN, _("指定计划")),
    ]


class FunnelFilterForm(forms.Form):
    by = forms.ChoiceField(
        label=_("分组方式"),
        choices=FunnelBy.choices,
        required=False,
        error_messages={"invalid_choice": _("请选择计划、门店、导购、店群或片区。")},
    )
    period = forms.ChoiceField(
        label=_("时间"),
        choices=Period.CHOICES,
        required=False,
        error_messages={"invalid_choice": _("请选择本月、上月或指定计划。")},
    )
    plan = forms.ModelChoiceField(
        label=_("回访计划"),
        queryset=CallbackPlan.objects.none(),
        required=False,
        empty_label=_("（选择计划）"),
        error_messages={"invalid_choice": _("所选回访计划不存在或您无权查看。")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = CallbackPlan.objects.visible_to(user).order_by(
            "-starts_on", "-id"
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") == Period.PLAN and not cleaned.get("plan"):
            self.add_error("plan", _("请选择要查看的回访计划。"))
        return cleaned


def _window(period: str, today: datetime.date):
    start, end = month_window(today)
    if period == Period.LAST_MONTH:
        return month_window(start - datetime.timedelta(days=1))
    return start, end


def funnel_page(user, params, *, default_by: str = FunnelBy.GUIDE) -> tuple[dict, int]:
    """(context, status): the filter form and, when valid, the funnel within the user's scope."""
    # The form shows the grouping and period the page uses, also when the query leaves them out.
    shown = {"by": default_by, "period": Period.THIS_MONTH}
    data = None
    if params:
        data = params.copy()
        for name, value in shown.items():
            data[name] = data.get(name) or value
    form = FunnelFilterForm(data, user=user, initial=shown)
    context = {"form": form, "funnel": None}
    if form.is_bound and not form.is_valid():
        return context, 400
    cleaned = form.cleaned_data if form.is_bound else {}
    by = cleaned.get("by") or default_by
    period = cleaned.get("period") or Period.THIS_MONTH
    plan = cleaned.get("plan") if period == Period.PLAN else None
    arguments = {"user": user, "by": by}
    if plan is not None:
        arguments["plan"] = plan
    else:
        arguments["start"], arguments["end"] = _window(period, timezone.localdate())
        context["window"] = (arguments["start"], arguments["end"] - datetime.timedelta(days=1))
    funnel = callback_funnel(**arguments)
    context.update(
        funnel=funnel,
        by_label=FunnelBy(by).label,
        plan=plan,
        nudges=nudge_list(funnel) if by == FunnelBy.GUIDE else [],
    )
    return context, 200
