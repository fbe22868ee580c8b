from datetime import timedelta

import factory
from django.utils import timezone

from callbacks.models import (
    CallbackAttempt,
    CallbackPlan,
    CallbackTask,
    PlanStatus,
    PlanTarget,
    TaskStatus,
)
from members.models import Segment
from tests.members.factories import MemberFactory


class SegmentFactory(factory.django.DjangoModelFactory):
    """An HQ segment with an empty rule: every member."""

    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"分组{n}")


class CallbackPlanFactory(factory.django.DjangoModelFactory):
    """An HQ plan over every member of every store, starting today, due in a week."""

    class Meta:
        model = CallbackPlan

    name = factory.Sequence(lambda n: f"回访计划{n}")
    purpose = "新品上市回访"
    script = "您好，我是您的专属导购，本周新品到店……"
    target_kind = PlanTarget.SEGMENT
    segment = factory.SubFactory(SegmentFactory)
    starts_on = factory.LazyFunction(timezone.localdate)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))
    cooldown_days = 14
    status = PlanStatus.DRAFT


class CallbackTaskFactory(factory.django.DjangoModelFactory):
    """A task of an active plan for a member bound to a guide (the factory's member must have
    one: pass `member=`)."""

    class Meta:
        model = CallbackTask

    plan = factory.SubFactory(
        CallbackPlanFactory,
        status=PlanStatus.ACTIVE,
        activated_at=factory.LazyFunction(timezone.now),
    )
    member = factory.SubFactory(MemberFactory)
    store = factory.SelfAttribute("member.home_store")
    assignee = factory.SelfAttribute("member.guide")
    status = TaskStatus.PENDING
    next_call_on = factory.SelfAttribute("plan.starts_on")
    due_on = factory.SelfAttribute("plan.due_on")


class CallbackAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallbackAttempt

    task = factory.SubFactory(CallbackTaskFactory)
    outcome = TaskStatus.SUCCESSFUL
    called_at = factory.LazyFunction(timezone.now)
