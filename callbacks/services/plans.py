"""A plan's life: draft → active (its tasks are made) → closed, along PLAN_TRANSITIONS, each move
audited. HQ manages HQ plans; a store manager their own store's plans."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.audit import audit_record
from members.errors import RuleViolation

from ..models import PLAN_TRANSITIONS, CallbackPlan, PlanStatus, PlanTarget


def may_manage_plan(user, plan: CallbackPlan) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if plan.store_id is None:
        return user.is_hq
    return user.is_hq or (user.is_store_manager and user.store_id == plan.store_id)


def _check_may_manage(actor, plan: CallbackPlan) -> None:
    if not may_manage_plan(actor, plan):
        raise RuleViolation(
            "plan_not_yours", _("只有总部或本店店长可以管理这个回访计划。"), status_code=403
        )


def _check_ready(plan: CallbackPlan) -> None:
    if plan.target_kind == PlanTarget.LIFECYCLE:
        raise RuleViolation(
            "plan_lifecycle_manual",
            _("生命周期回访计划由系统每晚按规则生成任务，不能手动启动。"),
        )
    if plan.target_kind == PlanTarget.PHONES and not plan.phones.strip():
        raise RuleViolation("plan_no_phones", _("手机号名单为空，不能启动回访计划。"))
    if plan.due_on < timezone.localdate():
        raise RuleViolation("plan_past_due", _("截止日期已过，不能启动回访计划。"))


def _move(plan: CallbackPlan, to: str, *, actor, **fields) -> bool:
    if not PLAN_TRANSITIONS.check(plan.status, to):
        return False
    before, plan.status = plan.status, to
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.save(update_fields=["status", *fields, "updated_at"])
    audit_record(
        actor=actor, obj=plan, event="callback_plan_status", changes={"status": [before, to]}
    )
    return True


@transaction.atomic
def plan_activate(*, plan: CallbackPlan, actor) -> CallbackPlan:
    """Start the plan: its tasks are made by the generation job once this commits."""
    from ..tasks import generate_plan_tasks

    plan = CallbackPlan.objects.select_for_update().get(pk=plan.pk)
    _check_may_manage(actor, plan)
    if plan.status == PlanStatus.DRAFT:
        _check_ready(plan)
    if _move(plan, PlanStatus.ACTIVE, actor=actor, activated_at=timezone.now()):
        generate_plan_tasks.delay_on_commit(plan.pk)
    return plan


@transaction.atomic
def plan_close(*, plan: CallbackPlan, actor) -> CallbackPlan:
    """End the plan: its open tasks leave every worklist; what was done stays in the figures."""
    plan = CallbackPlan.objects.select_for_update().get(pk=plan.pk)
    _check_may_manage(actor, plan)
    _move(plan, PlanStatus.CLOSED, actor=actor, closed_at=timezone.now())
    return plan
