"""Segment conditions on callbacks (family "回访"), registered from CallbacksConfig.ready(): members
in a running plan (any, or a given one), called in the last N days, whose latest call ended so.

Each is an uncorrelated `pk__in` subquery over the tasks, like the coupon and purchase
conditions: Postgres hashes it once, also when a rule ORs it with other conditions. A segment is
scoped by its members, so another store's tasks never widen it.
"""

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jobs.dates import last_days_window
from members.segments.fields import choices_field, days_field
from members.segments.registry import Condition, register

from .models import CallbackPlan, CallbackTask, PlanStatus, TaskStatus

FAMILY = _("回访")
FAMILY_RANK = 60
OUTCOMES = [(value, label) for value, label in TaskStatus.choices if value != TaskStatus.PENDING]


class InPlanForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=CallbackPlan.objects.order_by("-starts_on", "-id"),
        required=False,
        label=_("回访计划"),
        empty_label=_("任一进行中的计划"),
        error_messages={"invalid_choice": _("所选回访计划不存在或不可用。")},
    )

    def limit_to(self, user):
        if user is not None:
            self.fields["plan"].queryset = CallbackPlan.objects.visible_to(user).order_by(
                "-starts_on", "-id"
            )


@register
class InCallbackPlanCondition(Condition):
    """Has a task in the plan chosen (whatever the task's outcome), or, with no plan chosen, in
    any plan now running: to leave out members a campaign already covers, or to follow it up."""

    key = "in_callback_plan"
    label = _("在回访计划中（任一进行中的计划或指定计划）")
    family = FAMILY
    family_rank = FAMILY_RANK
    form_class = InPlanForm

    def q(self, params, *, today):
        plan = params.get("plan")
        tasks = (
            CallbackTask.objects.filter(plan=plan)
            if plan is not None
            else CallbackTask.objects.filter(plan__status=PlanStatus.ACTIVE)
        )
        return Q(pk__in=tasks.values("member_id"))

    def describe(self, params):
        if params.get("plan") is not None:
            return gettext("在回访计划“%(name)s”中") % {"name": params["plan"]}
        return gettext("在进行中的回访计划中")


class CalledWithinForm(forms.Form):
    days = days_field(_("最近天数"))


@register
class CalledWithinCondition(Condition):
    """A call recorded in the last N days (local days, like purchases: from midnight N days ago
    to the end of today), in any plan, whatever came of it."""

    key = "called_within"
    label = _("最近 N 天被回访过")
    family = FAMILY
    family_rank = FAMILY_RANK
    form_class = CalledWithinForm

    def q(self, params, *, today):
        start, end = last_days_window(days=params["days"], today=today)
        called = CallbackTask.objects.filter(last_called_at__gte=start, last_called_at__lt=end)
        return Q(pk__in=called.values("member_id"))

    def describe(self, params):
        return gettext("最近 %(days)d 天被回访过") % {"days": params["days"]}


class LastOutcomeForm(forms.Form):
    outcomes = choices_field(
        _("最近一次回访结果"), OUTCOMES, required_message=_("请至少选择一个回访结果。")
    )


@register
class LastOutcomeCondition(Condition):
    """The member's latest call (in any plan) ended with one of the outcomes chosen: the status
    of their most recently called task, which is the outcome of its latest call."""

    key = "last_callback_outcome"
    label = _("最近一次回访结果")
    family = FAMILY
    family_rank = FAMILY_RANK
    form_class = LastOutcomeForm

    def q(self, params, *, today):
        later = CallbackTask.objects.filter(
            member_id=OuterRef("member_id"), last_called_at__gt=OuterRef("last_called_at")
        )
        latest = CallbackTask.objects.filter(
            last_called_at__isnull=False, status__in=params["outcomes"]
        ).filter(~Exists(later))
        return Q(pk__in=latest.values("member_id"))

    def describe(self, params):
        labels = "、".join(str(TaskStatus(value).label) for value in params["outcomes"])
        return gettext("最近一次回访结果：%(outcomes)s") % {"outcomes": labels}
