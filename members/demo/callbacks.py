"""The demo's callbacks, made through the real services and job, so the worklist, the task page,
the progress and the funnel have content after `make demo`:

- the first store's own plan (the demo manager's): the demo guide's members by a pasted phone
  list, started, with a few calls recorded by the guide;
- an HQ plan to the starter segment "重要保持客户" ("call back soon, by a person") in the first
  store's region, started.
The store plan is started first: a member already on an open plan is left out of the next one.
"""

from collections.abc import Callable
from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from callbacks.models import CallbackPlan, CallbackTask, PlanTarget, TaskStatus
from callbacks.services.generation import plan_tasks_generate
from callbacks.services.outcomes import callback_outcome_record
from callbacks.services.plans import plan_activate, plan_create
from members.models import Member, Segment, Store, User

HQ_SEGMENT = "重要保持客户"
STORE_PLAN_MEMBERS = 40
# What the demo guide has done so far today, in calling order.
DEMO_CALLS = [TaskStatus.SUCCESSFUL] * 4 + [TaskStatus.NOT_REACHED] * 2 + [TaskStatus.DECLINED]


def _started(plan: CallbackPlan, actor: User) -> CallbackPlan:
    plan_activate(plan=plan, actor=actor)
    plan.refresh_from_db()
    plan_tasks_generate(plan=plan)  # in-process; a run the commit already made changes nothing
    plan.refresh_from_db()
    return plan


def _store_plan(today: date, manager: User, guide: User) -> CallbackPlan:
    members = Member.objects.filter(guide=guide, marketing_opt_out=False).order_by("pk")
    phones = "\n".join(members.values_list("phone", flat=True)[:STORE_PLAN_MEMBERS])
    fields = {
        "name": _("老客回访·到店体验"),
        "purpose": _("邀请老客到店体验新品，带动复购"),
        "script": _(
            "您好，我是%(store)s的导购，您常买的系列本周有会员价，"
            "周六还有到店护肤体验，想邀请您来试试。"
        )
        % {"store": manager.store.name},
        "target_kind": PlanTarget.PHONES,
        "phones": phones,
        "starts_on": today,
        "due_on": today + timedelta(days=14),
        "cooldown_days": 0,
        "respect_care_window": False,
    }
    return _started(plan_create(actor=manager, fields=fields), manager)


def _hq_plan(today: date, admin: User, store: Store) -> CallbackPlan | None:
    segment = Segment.objects.filter(name=HQ_SEGMENT, store__isnull=True).first()
    if segment is None:
        return None
    fields = {
        "name": _("总部·重要保持客户关怀回访"),
        "purpose": _("重要保持客户：由专属导购尽快回访，了解近况"),
        "script": _("您好，好久没见您来店里了，最近皮肤状态怎么样？我们为老会员准备了一份礼物。"),
        "target_kind": PlanTarget.SEGMENT,
        "segment": segment,
        "starts_on": today,
        "due_on": today + timedelta(days=21),
    }
    plan = plan_create(actor=admin, fields=fields, regions=[store.region_id])
    return _started(plan, admin)


def _calls(plan: CallbackPlan, guide: User) -> int:
    tasks = CallbackTask.objects.filter(plan=plan, assignee=guide).order_by("priority", "pk")
    made = 0
    for task, outcome in zip(tasks, DEMO_CALLS, strict=False):
        callback_outcome_record(task=task, outcome=outcome, actor=guide, note=_("演示回访记录"))
        made += 1
    return made


def demo_callbacks(report: Callable[[str], None]) -> None:
    """Plans from the real today, whatever day the demo's history ends on: the worklist is the
    guide's list for today, and a plan past its due date cannot be started."""
    today = timezone.localdate()
    admin = User.objects.get(username="admin")
    manager = User.objects.get(username="manager")
    guide = User.objects.get(username="guide")
    store_plan = _store_plan(today, manager, guide)
    calls = _calls(store_plan, guide)
    _hq_plan(today, admin, manager.store)
    tasks = CallbackPlan.objects.aggregate(n=Sum("task_count"))["n"] or 0
    report(
        _("回访计划已启动：%(plans)s 个，回访任务 %(tasks)s 条，已回访 %(calls)s 次。")
        % {"plans": CallbackPlan.objects.count(), "tasks": f"{tasks:,}", "calls": calls}
    )
