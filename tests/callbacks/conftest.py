"""Store A's callback pages: an active store plan with a task for each of the guide's members,
one task of the other guide, and store B's plan and task that A must never see."""

from datetime import timedelta

import pytest
from django.utils import timezone

from callbacks.models import PlanStatus
from tests.callbacks.factories import CallbackPlanFactory, CallbackTaskFactory, SegmentFactory
from tests.members.factories import GuideFactory, MemberFactory, RegionManagerFactory


def active_plan(store, **fields):
    return CallbackPlanFactory(
        store=store,
        status=PlanStatus.ACTIVE,
        activated_at=timezone.now(),
        segment=SegmentFactory(store=store),
        **fields,
    )


@pytest.fixture
def other_guide_a(store_a):
    return GuideFactory(store=store_a, first_name="小周")


@pytest.fixture
def plan_a(store_a):
    return active_plan(store_a, name="春季新品回访", script="您好，春季新品到店了……")


@pytest.fixture
def tasks_a(plan_a, guide_a, other_guide_a):
    """Three tasks of guide A (priorities 3, 1, 2) and one of the other guide."""
    mine = [
        CallbackTaskFactory(
            plan=plan_a,
            member=MemberFactory(home_store=plan_a.store, guide=guide_a, name=f"会员{n}"),
            priority=priority,
        )
        for n, priority in enumerate([3, 1, 2])
    ]
    theirs = CallbackTaskFactory(
        plan=plan_a,
        member=MemberFactory(home_store=plan_a.store, guide=other_guide_a, name="周的会员"),
    )
    return mine, theirs


@pytest.fixture
def task_b(store_b, guide_b):
    plan = active_plan(store_b, name="乙店回访")
    return CallbackTaskFactory(
        plan=plan, member=MemberFactory(home_store=store_b, guide=guide_b, name="乙店会员")
    )


@pytest.fixture
def region_manager(region):
    return RegionManagerFactory(region=region)


def yesterday():
    return timezone.localdate() - timedelta(days=1)
