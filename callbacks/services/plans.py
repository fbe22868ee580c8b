"""A plan's life: draft → active (its tasks are made) → closed, along PLAN_TRANSITIONS, each move
audited. HQ manages HQ plans; a store manager their own store's plans."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coupons.models import CouponTemplate
from coupons.services.issuing_single import templates_issuable_at
from members.audit import audit_record
from members.errors import RuleViolation
from members.models import Segment
from members.phone_lists import phone_list_check, phones_of

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


# --- Making and editing a plan --------------------------------------------------------------------

# The fields a plan's maker sets (the regions, stores and promoted products are lists beside them).
PLAN_FIELDS = (
    "name", "purpose", "script", "channel", "target_kind", "segment", "phones", "starts_on",
    "due_on", "priority_order", "coupon_template", "cooldown_days", "respect_care_window",
)  # fmt: skip
REJECTED_SHOWN = 10


def may_create_plan(user) -> bool:
    """HQ makes HQ plans (in the admin); a store manager their own store's plans."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_hq or (user.is_store_manager and user.store_id is not None)


def _rejected_message(rejected: list[dict]) -> str:
    lines = [_("第 %(line)s 行 %(value)s：%(reason)s") % row for row in rejected[:REJECTED_SHOWN]]
    more = len(rejected) - REJECTED_SHOWN
    if more > 0:
        lines.append(_("另有 %(n)s 行有误。") % {"n": more})
    return _("手机号名单有误，请改正后再保存：") + "；".join(lines)


def _clean_phones(text: str, *, actor) -> str:
    phones, rejected = phone_list_check(text, actor=actor)
    if rejected:
        raise RuleViolation("plan_phones_rejected", _rejected_message(rejected))
    return "\n".join(phones)


def _clean_target(fields: dict, *, actor) -> None:
    if fields.get("target_kind") == PlanTarget.LIFECYCLE:
        raise RuleViolation(
            "plan_lifecycle_by_hand", _("生命周期回访计划由系统每晚生成，不能手工创建或修改。")
        )
    if fields.get("target_kind") == PlanTarget.PHONES:
        fields["segment"] = None
        fields["phones"] = _clean_phones(fields.get("phones") or "", actor=actor)
        return
    fields["phones"] = ""
    segment = fields.get("segment")
    if segment is None:
        raise RuleViolation("plan_no_segment", _("请选择要回访的分组。"))
    if not Segment.objects.visible_to(actor).filter(pk=segment.pk, active=True).exists():
        raise RuleViolation("plan_segment_not_yours", _("所选分组不存在或您无权使用。"))


def _clean_dates(fields: dict) -> None:
    starts_on, due_on = fields.get("starts_on"), fields.get("due_on")
    if starts_on is None or due_on is None:
        raise RuleViolation("plan_dates_missing", _("请填写开始日期和截止日期。"))
    if due_on < starts_on:
        raise RuleViolation("plan_due_before_start", _("截止日期不能早于开始日期。"))
    if due_on < timezone.localdate():
        raise RuleViolation("plan_past_due", _("截止日期已过，请选择今天或以后的日期。"))


def _clean_coupon(fields: dict, *, actor) -> None:
    """The coupon offered: active, and for a store's plan one usable at the store."""
    template = fields.get("coupon_template")
    if template is None:
        return
    usable = CouponTemplate.objects.active().filter(pk=template.pk).exists()
    if usable and not actor.is_hq:
        usable = templates_issuable_at(store=actor.store).filter(pk=template.pk).exists()
    if not usable:
        raise RuleViolation("plan_coupon_unusable", _("所选优惠券模板未启用或本店不能使用。"))


def plan_fields_clean(fields: dict, *, actor) -> dict:
    """The one check of what a plan's maker typed (portal form, admin form and services alike):
    the target visible to `actor`, the phone list all members `actor` may see, sane dates.
    Returns the fields to store (the phone list normalised, one number a line)."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not plan fields: {sorted(unknown)}")
    fields = dict(fields)
    if not (fields.get("name") or "").strip():
        raise RuleViolation("plan_no_name", _("请填写计划名称。"))
    _clean_target(fields, actor=actor)
    _clean_dates(fields)
    _clean_coupon(fields, actor=actor)
    return fields


def _check_may_create(actor) -> None:
    if not may_create_plan(actor):
        raise RuleViolation(
            "plan_create_not_allowed", _("只有总部或店长可以新建回访计划。"), status_code=403
        )


MAX_PROMOTED_PRODUCTS = 200


# How each list beside the plan's fields reads in the audit log.
REACH_LABEL = {"promoted_products": "sku", "stores": "code", "regions": "name"}


def _reach_labels(plan: CallbackPlan, name: str) -> list[str]:
    return sorted(getattr(plan, name).values_list(REACH_LABEL[name], flat=True))


def _set_reach(plan: CallbackPlan, *, regions, stores, promoted_products) -> dict:
    """Set the plan's regions and stores (HQ plans) and promoted products; returns the audit
    changes, {name: [before, after]} as comma-joined codes / SKUs, of what changed."""
    if promoted_products is not None and len(promoted_products) > MAX_PROMOTED_PRODUCTS:
        raise RuleViolation(
            "plan_too_many_products",
            _("在促商品最多选 %(limit)d 个。") % {"limit": MAX_PROMOTED_PRODUCTS},
        )
    given = {"promoted_products": promoted_products}
    if plan.store_id is None:
        given.update(regions=regions, stores=stores)
    changes = {}
    for name, values in given.items():
        if values is None:
            continue
        before = _reach_labels(plan, name)
        getattr(plan, name).set(values)
        after = _reach_labels(plan, name)
        if before != after:
            changes[name] = [", ".join(before), ", ".join(after)]
    return changes


def _audit_fields(plan: CallbackPlan, fields: dict) -> dict:
    return {name: str(getattr(plan, name)) for name in fields if name != "phones"}


@transaction.atomic
def plan_create(
    *, actor, fields: dict, regions=None, stores=None, promoted_products=None
) -> CallbackPlan:
    """A draft plan: HQ's (no store; its regions and stores) or the store manager's own store's
    (the store from the user, never from the form)."""
    _check_may_create(actor)
    fields = plan_fields_clean(fields, actor=actor)
    store = None if actor.is_hq else actor.store
    plan = CallbackPlan.objects.create(store=store, created_by=actor, **fields)
    reach = _set_reach(plan, regions=regions, stores=stores, promoted_products=promoted_products)
    audit_record(
        actor=actor,
        obj=plan,
        event="callback_plan_created",
        changes={"created": ["", plan.name]},
        fields={**_audit_fields(plan, fields), **{name: new for name, (_o, new) in reach.items()}},
    )
    return plan


@transaction.atomic
def plan_update(
    *, plan: CallbackPlan, actor, fields: dict, regions=None, stores=None, promoted_products=None
) -> CallbackPlan:
    """Edit a draft plan (a started plan's tasks are made: it can only be closed)."""
    plan = CallbackPlan.objects.select_for_update().get(pk=plan.pk)
    _check_may_manage(actor, plan)
    if plan.status != PlanStatus.DRAFT:
        raise RuleViolation("plan_not_draft", _("回访计划已启动或已结束，不能再修改。"))
    fields = plan_fields_clean(fields, actor=actor)
    changes = {
        name: [str(getattr(plan, name)), str(value)]
        for name, value in fields.items()
        if getattr(plan, name) != value and name != "phones"
    }
    if plan.phones != fields["phones"]:
        changes["phones"] = [
            str(len(phones_of(plan.phones))),
            str(len(phones_of(fields["phones"]))),
        ]
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.save()
    changes |= _set_reach(plan, regions=regions, stores=stores, promoted_products=promoted_products)
    audit_record(
        actor=actor,
        obj=plan,
        event="callback_plan_updated",
        changes=changes or {"edited": ["", ""]},
    )
    return plan
