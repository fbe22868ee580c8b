"""Reads about RFM groups: a member's group card and the group migration matrix."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from .models import Member, MemberRfm, RfmRun

# --- A member's group, explained ----------------------------------------------------------------


@dataclass(frozen=True)
class AxisReading:
    """One of R, F, M against the run's threshold: "R 12 天 ≤ 45 天 → 近期"."""

    axis: str
    value: str
    rule: str
    verdict: str
    met: bool


@dataclass(frozen=True)
class RfmCard:
    group: str
    group_label: str
    as_of: date
    axes: list[AxisReading]
    lifetime: str


def plain_number(value: Decimal) -> str:
    """A threshold without trailing zeros: 45.0000 -> "45", 2.5000 -> "2.5"."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _recency(rfm: MemberRfm, run: RfmRun | None) -> AxisReading:
    if rfm.recency_days is None:
        return AxisReading("R", _("无消费"), "", _("未消费"), False)
    value = _("%(days)d 天") % {"days": rfm.recency_days}
    if run is None or run.r_threshold is None:
        return AxisReading("R", value, "", "", False)
    met = rfm.recency_days <= run.r_threshold
    rule = _("≤ %(days)s 天为近期") % {"days": plain_number(run.r_threshold)}
    return AxisReading("R", value, rule, _("近期") if met else _("非近期"), met)


def _frequency(rfm: MemberRfm, run: RfmRun | None) -> AxisReading:
    value = _("%(times)d 次") % {"times": rfm.frequency}
    if run is None or run.f_threshold is None:
        return AxisReading("F", value, "", "", False)
    met = rfm.frequency > run.f_threshold
    rule = _("> %(times)s 次为高频") % {"times": plain_number(run.f_threshold)}
    return AxisReading("F", value, rule, _("高频") if met else _("低频"), met)


def _monetary(rfm: MemberRfm, run: RfmRun | None) -> AxisReading:
    value = _("¥%(amount)s") % {"amount": rfm.monetary}
    if run is None or run.m_threshold is None:
        return AxisReading("M", value, "", "", False)
    met = rfm.monetary > run.m_threshold
    rule = _("> ¥%(amount)s 为高额") % {"amount": plain_number(run.m_threshold)}
    return AxisReading("M", value, rule, _("高额") if met else _("低额"), met)


def member_rfm_card(member: Member) -> RfmCard | None:
    """The member's group with R, F, M, L and the thresholds of the run that grouped them, so a
    guide sees why; None until the member's first run."""
    try:
        rfm = member.rfm
    except MemberRfm.DoesNotExist:
        return None
    run = RfmRun.objects.filter(business_date=rfm.as_of).first()
    lifetime = "" if rfm.lifetime_days is None else _("%(days)d 天") % {"days": rfm.lifetime_days}
    return RfmCard(
        group=rfm.group,
        group_label=rfm.get_group_display(),
        as_of=rfm.as_of,
        axes=[_recency(rfm, run), _frequency(rfm, run), _monetary(rfm, run)],
        lifetime=lifetime,
    )
