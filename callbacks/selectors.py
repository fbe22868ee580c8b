"""Reads that span plans, tasks, members and staff: a plan's preview before it starts, and the
funnel (回访漏斗) per plan, store, guide, store group and region.

The funnel counts tasks (one per member and plan):
- to call (预计回访): every task; called (已回访): a call was recorded; reached (接通): the member
  answered (reached, declined or successful); successful (成功回访); converted (回访转化): a
  counted order within 60 days after the call (services.conversion), with its net amount;
- call rate = called ÷ to call; success rate = successful ÷ called; conversion rate (the 60-day
  回访转化率) = converted ÷ called;
- overdue (逾期): open tasks of active plans past their due date still waiting for a call
  (CallbackTask.objects.overdue).
Figures are scoped by the store and assignee the tasks were made for
(CallbackTask.objects.figures_visible_to): a store sees its own guides, a guide their own row.
A period selects the plans that start within it.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, Store, User, money_total

from .models import (
    REACHED_STATUSES,
    CallbackPlan,
    CallbackTask,
    ExclusionReason,
    PlanStatus,
    TaskStatus,
    overdue_q,
)
from .services.generation import plan_candidates
from .services.targets import plan_targets_q

# --- The preview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    store: str
    assignee: str
    tasks: int


@dataclass
class PlanPreview:
    rows: list[PreviewRow] = field(default_factory=list)
    per_store: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)  # reason label -> members

    @property
    def total(self) -> int:
        return sum(row.tasks for row in self.rows)

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


def plan_preview(plan: CallbackPlan, *, user, today: datetime.date | None = None) -> PlanPreview:
    """How many tasks each store and guide would get if the plan started today, and how many
    members would be left out, by reason (within what `user` may see)."""
    today = today or timezone.localdate()
    members = Member.objects.visible_to(user).filter(plan_targets_q(plan, today=today))
    rows = (
        plan_candidates(plan, members, today=today)
        .order_by()
        .values("exclusion", "home_store_id", "assignee_ref")
        .annotate(n=Count("pk"))
    )
    rows = list(rows)
    stores = _names(Store.objects.filter(pk__in={r["home_store_id"] for r in rows}), "name")
    staff = User.objects.filter(pk__in={r["assignee_ref"] for r in rows if r["assignee_ref"]})
    people = {user.pk: user.get_full_name() or user.username for user in staff}
    preview = PlanPreview()
    for row in rows:
        if row["exclusion"]:
            label = str(ExclusionReason(row["exclusion"]).label)
            preview.excluded[label] = preview.excluded.get(label, 0) + row["n"]
            continue
        store = stores.get(row["home_store_id"], "")
        preview.rows.append(PreviewRow(store, people.get(row["assignee_ref"], ""), row["n"]))
        preview.per_store[store] = preview.per_store.get(store, 0) + row["n"]
    preview.rows.sort(key=lambda row: (row.store, -row.tasks, row.assignee))
    return preview


def _names(queryset, attribute: str) -> dict[int, str]:
    return {obj.pk: getattr(obj, attribute) for obj in queryset.only("pk", attribute)}


# --- The funnel ---------------------------------------------------------------------------------


class FunnelBy(TextChoices):
    PLAN = "plan", _("回访计划")
    STORE = "store", _("门店")
    GUIDE = "guide", _("导购")
    STORE_GROUP = "store_group", _("店群")
    REGION = "region", _("片区")


GROUPINGS = {
    FunnelBy.PLAN: ("plan_id", "plan__name"),
    FunnelBy.STORE: ("store_id", "store__name"),
    FunnelBy.GUIDE: ("assignee_id", "assignee__first_name", "assignee__username"),
    FunnelBy.STORE_GROUP: ("store__store_group_id", "store__store_group__name"),
    FunnelBy.REGION: ("store__region_id", "store__region__name"),
}


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


@dataclass(frozen=True)
class FunnelRow:
    key: int | None
    label: str
    to_call: int
    called: int
    reached: int
    successful: int
    converted: int
    converted_amount: Decimal
    overdue: int

    @property
    def call_rate(self) -> Decimal | None:
        return _rate(self.called, self.to_call)

    @property
    def success_rate(self) -> Decimal | None:
        return _rate(self.successful, self.called)

    @property
    def conversion_rate(self) -> Decimal | None:
        return _rate(self.converted, self.called)


@dataclass(frozen=True)
class Funnel:
    by: str
    rows: list[FunnelRow]
    total: FunnelRow


def _figures(today: datetime.date) -> dict:
    return {
        "to_call": Count("pk"),
        "called": Count("pk", filter=~Q(status=TaskStatus.PENDING)),
        "reached": Count("pk", filter=Q(status__in=REACHED_STATUSES)),
        "successful": Count("pk", filter=Q(status=TaskStatus.SUCCESSFUL)),
        "converted": Count("pk", filter=Q(converted_order__isnull=False)),
        "converted_amount": money_total("converted_amount"),
        "overdue": Count("pk", filter=overdue_q(on=today)),
    }


def _label(row: dict, by: str) -> str:
    names = GROUPINGS[by][1:]
    if by == FunnelBy.GUIDE:
        return row[names[0]] or row[names[1]] or ""
    return row[names[0]] or ""


def callback_funnel(
    *,
    user,
    by: str = FunnelBy.STORE,
    plan: CallbackPlan | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    active_only: bool = False,
    today: datetime.date | None = None,
) -> Funnel:
    """The funnel grouped `by`, for the plan given or the plans starting in [start, end)."""
    today = today or timezone.localdate()
    tasks = CallbackTask.objects.figures_visible_to(user)
    if plan is not None:
        tasks = tasks.filter(plan=plan)
    if start is not None:
        tasks = tasks.filter(plan__starts_on__gte=start)
    if end is not None:
        tasks = tasks.filter(plan__starts_on__lt=end)
    if active_only:
        tasks = tasks.filter(plan__status=PlanStatus.ACTIVE)
    figures = _figures(today)
    grouped = tasks.order_by().values(*GROUPINGS[by]).annotate(**figures)
    rows = [
        FunnelRow(
            key=row[GROUPINGS[by][0]],
            label=_label(row, by),
            **{name: row[name] for name in figures},
        )
        for row in grouped
    ]
    rows.sort(key=lambda row: (-row.to_call, row.label))
    total = tasks.aggregate(**figures)
    return Funnel(by=by, rows=rows, total=FunnelRow(key=None, label=str(_("合计")), **total))


def nudge_list(funnel: Funnel) -> list[FunnelRow]:
    """Who is behind (催办): guides with overdue tasks, most overdue first."""
    return sorted((row for row in funnel.rows if row.overdue), key=lambda row: -row.overdue)
