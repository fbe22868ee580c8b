"""Who calls whom, and in what order, as SQL expressions over Member (the generation job writes
them in one INSERT ... SELECT; the preview groups by them).

A task goes to the member's bound guide when that guide is active and works in the member's home
store, otherwise to the store's first active store manager; a member with neither gets no task
(excluded, reason no_assignee). So a guide's tasks are always members bound to them, and
`callbacks.services.reassign` keeps it so when tasks move.

The calling order (CallbackPlan.priority_order), lower first:
- easy first (先易后难): members who bought a product on promotion, then by customer group;
- by customer group, in the order of the eight groups (重要价值 … 一般挽留, then 未消费).
Ties are called in member order.
"""

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When

from members.models import OrderLine, RfmGroup, Role, User, counted_q

from ..models import CallbackPlan, PriorityOrder

# Places for the group rank within a priority; a bought-on-promotion member comes before all.
GROUP_RANKS = {group: rank for rank, group in enumerate(RfmGroup.values, start=1)}
UNGROUPED_RANK = len(GROUP_RANKS) + 1
PROMOTION_STEP = 100


def bound_guide_q() -> Q:
    return Q(
        guide__isnull=False,
        guide__is_active=True,
        guide__role=Role.GUIDE,
        guide__store_id=F("home_store_id"),
    )


def store_manager_of_home_store():
    managers = User.objects.filter(
        role=Role.STORE_MANAGER, is_active=True, store_id=OuterRef("home_store_id")
    )
    return Subquery(managers.order_by("pk").values("pk")[:1])


def assignee_expression():
    return Case(
        When(bound_guide_q(), then=F("guide_id")),
        default=store_manager_of_home_store(),
        output_field=IntegerField(),
    )


def group_rank_expression():
    whens = [When(rfm__group=group, then=Value(rank)) for group, rank in GROUP_RANKS.items()]
    return Case(*whens, default=Value(UNGROUPED_RANK), output_field=IntegerField())


def bought_promoted_q(plan: CallbackPlan) -> Q:
    products = list(plan.promoted_products.values_list("pk", flat=True))
    if not products:
        return Q(pk__in=[])
    bought = OrderLine.objects.filter(
        counted_q("order__"), order__member_id=OuterRef("pk"), product_id__in=products
    )
    return Q(Exists(bought))


def priority_expression(plan: CallbackPlan):
    if plan.priority_order != PriorityOrder.EASY_FIRST:
        return group_rank_expression()
    promoted = Case(
        When(bought_promoted_q(plan), then=Value(0)),
        default=Value(PROMOTION_STEP),
        output_field=IntegerField(),
    )
    return promoted + group_rank_expression()
