"""Conditions on a member's RFM(L) figures, read from MemberRfm (`rfm__...`)."""

import datetime
import operator
from functools import reduce

from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..models import RfmGroup
from .fields import MAX_AMOUNT, MAX_DAYS, choices_field, range_form, range_q
from .phases import PHASE_DAYS, PurchasePhase
from .registry import Condition, register

FAMILY = _("RFM 与消费")


class RfmGroupForm(forms.Form):
    groups = choices_field(
        _("客户群"), RfmGroup.choices, required_message=_("请至少选择一个客户群。")
    )


@register
class RfmGroupCondition(Condition):
    """Members not yet grouped (no MemberRfm row: joined after the last regroup) count as
    "未消费": the regroup gives every member a row, so only members newer than it lack one."""

    key = "rfm_group"
    label = _("RFM 客户群")
    family = FAMILY
    family_rank = 10
    form_class = RfmGroupForm

    def q(self, params, *, today):
        q = Q(rfm__group__in=params["groups"])
        if RfmGroup.NO_PURCHASE in params["groups"]:
            q |= Q(rfm__isnull=True)
        return q


class RangeCondition(Condition):
    field = ""
    family = FAMILY
    family_rank = 10

    def q(self, params, *, today):
        return range_q(self.field, params)


@register
class RecencyCondition(RangeCondition):
    key = "rfm_r"
    label = _("R 最近消费距今（天）")
    field = "rfm__recency_days"
    form_class = range_form(_("最少天数"), _("最多天数"))


@register
class FrequencyCondition(RangeCondition):
    key = "rfm_f"
    label = _("F 统计期内消费次数")
    field = "rfm__frequency"
    form_class = range_form(_("最少次数"), _("最多次数"), max_value=MAX_DAYS)


@register
class MonetaryCondition(RangeCondition):
    key = "rfm_m"
    label = _("M 统计期内消费金额（元）")
    field = "rfm__monetary"
    form_class = range_form(_("最少金额"), _("最多金额"), decimal=True, max_value=MAX_AMOUNT)


@register
class LifetimeCondition(RangeCondition):
    key = "rfm_l"
    label = _("L 首末次消费间隔（天）")
    field = "rfm__lifetime_days"
    form_class = range_form(_("最少天数"), _("最多天数"))


@register
class OrderCountCondition(RangeCondition):
    key = "order_count"
    label = _("累计订单数")
    field = "rfm__order_count"
    form_class = range_form(_("最少单数"), _("最多单数"), max_value=MAX_DAYS)


@register
class TotalSpentCondition(RangeCondition):
    key = "total_spent"
    label = _("累计消费金额（元）")
    field = "rfm__total_spent"
    form_class = range_form(_("最少金额"), _("最多金额"), decimal=True, max_value=MAX_AMOUNT)


@register
class AverageTicketCondition(Condition):
    """客单价 = total spent / order count, compared without dividing (members with no order have
    no average ticket and never match)."""

    key = "average_ticket"
    label = _("客单价（元/单）")
    family = FAMILY
    family_rank = 10
    form_class = range_form(_("最低客单价"), _("最高客单价"), decimal=True, max_value=MAX_AMOUNT)

    def q(self, params, *, today):
        q = Q(rfm__order_count__gt=0)
        if params.get("min") is not None:
            q &= Q(rfm__total_spent__gte=F("rfm__order_count") * params["min"])
        if params.get("max") is not None:
            q &= Q(rfm__total_spent__lte=F("rfm__order_count") * params["max"])
        return q


def days_since_purchase_q(low: int | None, high: int | None, *, today: datetime.date) -> Q:
    """Members whose last purchase was between `low` and `high` days before `today`."""
    q = Q(rfm__last_purchase_on__isnull=False)
    if low is not None:
        q &= Q(rfm__last_purchase_on__lte=today - datetime.timedelta(days=low))
    if high is not None:
        q &= Q(rfm__last_purchase_on__gte=today - datetime.timedelta(days=high))
    return q


@register
class DaysSincePurchaseCondition(Condition):
    key = "days_since_purchase"
    label = _("距上次消费天数")
    family = FAMILY
    family_rank = 10
    form_class = range_form(_("最少天数"), _("最多天数"))

    def q(self, params, *, today):
        return days_since_purchase_q(params.get("min"), params.get("max"), today=today)


class PurchasePhaseForm(forms.Form):
    phases = choices_field(
        _("购买周期阶段"), PurchasePhase.choices, required_message=_("请至少选择一个阶段。")
    )


@register
class PurchasePhaseCondition(Condition):
    key = "purchase_phase"
    label = _("购买周期阶段（45 天周期）")
    family = FAMILY
    family_rank = 10
    form_class = PurchasePhaseForm

    def q(self, params, *, today):
        ranges = [PHASE_DAYS[PurchasePhase(phase)] for phase in params["phases"]]
        return reduce(
            operator.or_,
            (days_since_purchase_q(days.low, days.high, today=today) for days in ranges),
        )
