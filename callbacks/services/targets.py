"""Who a plan aims at, as one filter on Member: its segment's rule or its phone list, within the
stores the plan reaches (a store's plan: that store; an HQ plan: the stores and regions chosen,
or every store). Evaluated as of the day the tasks are made."""

import datetime

from django.db.models import Q

from members.models import Member
from members.phone_lists import phone_in_q, phones_of
from members.segments.selectors import segment_q

from ..models import CallbackPlan, PlanTarget


def plan_reach_q(plan: CallbackPlan) -> Q:
    """The members of the stores the plan reaches."""
    if plan.store_id is not None:
        return Q(home_store_id=plan.store_id)
    stores = list(plan.stores.values_list("pk", flat=True))
    regions = list(plan.regions.values_list("pk", flat=True))
    if not stores and not regions:
        return Q()
    return Q(home_store_id__in=stores) | Q(home_store__region_id__in=regions)


def plan_targets_q(plan: CallbackPlan, *, today: datetime.date) -> Q:
    if plan.target_kind == PlanTarget.LIFECYCLE:
        # Chosen night by night by the lifecycle rules, never all at once.
        return Q(pk__in=[])
    if plan.target_kind == PlanTarget.SEGMENT:
        q = segment_q(plan.segment, today=today)
    else:
        q = phone_in_q(phones_of(plan.phones))
    return q & plan_reach_q(plan)


def plan_targets(plan: CallbackPlan, *, today: datetime.date):
    return Member.objects.filter(plan_targets_q(plan, today=today))
