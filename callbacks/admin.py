"""HQ admin for callbacks (django-unfold): HQ's plans (made and edited while draft through
callbacks.services.plans, started and closed through the same services, the preview and the
progress on the plan's page), the tasks and calls read-only, and the funnel page (回访漏斗).
Every queryset starts from visible_to(request.user) through HqOnlyAdmin; only HQ staff get in."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminSelectWidget

from members.admin_base import HqOnlyAdmin, ReadOnlyAdmin
from members.errors import RuleViolation
from members.phones import mask_phone

from .funnel_page import funnel_page
from .models import HAND_MADE_TARGETS, CallbackAttempt, CallbackPlan, CallbackTask, PlanStatus
from .selectors import FunnelBy, callback_funnel, plan_preview
from .services.plans import (
    PLAN_FIELDS,
    plan_activate,
    plan_close,
    plan_create,
    plan_fields_clean,
    plan_update,
)

PLAN_COLOURS = {
    PlanStatus.DRAFT: "info",
    PlanStatus.ACTIVE: "success",
    PlanStatus.CLOSED: "warning",
}
REACH_FIELDS = ("regions", "stores", "promoted_products")


class CallbackPlanAdminForm(forms.ModelForm):
    """Checks what HQ typed with the one plan check (callbacks.services.plans.plan_fields_clean)."""

    actor = None  # set by the admin for the request

    class Meta:
        model = CallbackPlan
        fields = [*PLAN_FIELDS, *REACH_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "target_kind" in self.fields:
            self.fields["target_kind"].choices = HAND_MADE_TARGETS

    def clean(self):
        cleaned = super().clean()
        self._validate_constraints = False  # the service's Chinese sentences say it first
        if self.errors:
            return cleaned
        try:
            plan_fields_clean({name: cleaned.get(name) for name in PLAN_FIELDS}, actor=self.actor)
        except RuleViolation as refusal:
            raise ValidationError(str(refusal.message)) from None
        return cleaned


@admin.register(CallbackPlan)
class CallbackPlanAdmin(HqOnlyAdmin):
    form = CallbackPlanAdminForm
    list_display = [
        "name",
        "owner",
        "status_label",
        "target_kind",
        "starts_on",
        "due_on",
        "task_count",
        "created_by",
    ]
    list_filter = ["status", "target_kind", "channel", ("store", RelatedDropdownFilter)]
    list_filter_submit = True
    list_select_related = ["store", "created_by"]
    search_fields = ["name"]
    autocomplete_fields = ["segment", "regions", "stores", "promoted_products"]
    actions = ["activate", "close"]
    fieldsets = [
        (None, {"fields": ["name", "purpose", "script", "channel"]}),
        (_("回访对象"), {"fields": ["target_kind", "segment", "phones", "regions", "stores"]}),
        (
            _("时间与顺序"),
            {
                "fields": [
                    ("starts_on", "due_on"),
                    "priority_order",
                    "promoted_products",
                    "coupon_template",
                    ("cooldown_days", "respect_care_window"),
                ]
            },
        ),
    ]
    change_form_after_template = "admin/callbacks/plan_after.html"
    list_before_template = "admin/callbacks/funnel_link.html"

    @display(description=_("发起方"))
    def owner(self, plan):
        return plan.store.name if plan.store_id else gettext("总部")

    @display(description=_("状态"), ordering="status", label=PLAN_COLOURS)
    def status_label(self, plan):
        return plan.status, plan.get_status_display()

    def has_change_permission(self, request, obj=None):
        """A started plan's tasks are made: it is read here, and only closed."""
        if obj is not None and obj.status != PlanStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data.get(name) for name in PLAN_FIELDS}
        reach = {name: form.cleaned_data.get(name) for name in REACH_FIELDS}
        if change:
            plan = plan_update(plan=obj, actor=request.user, fields=fields, **reach)
        else:
            plan = plan_create(actor=request.user, fields=fields, **reach)
        obj.pk, obj.store_id, obj.status = plan.pk, plan.store_id, plan.status
        form.instance = plan

    def save_related(self, request, form, formsets, change):
        """The regions, stores and products were set by the service."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        plan = self.get_object(request, object_id)
        extra = {**(extra_context or {}), "plan": plan}
        if plan is not None and plan.status == PlanStatus.DRAFT:
            extra["preview"] = plan_preview(plan, user=request.user)
        elif plan is not None:
            extra["funnel"] = callback_funnel(user=request.user, by=FunnelBy.STORE, plan=plan)
        return super().change_view(request, object_id, form_url, extra)

    def _move(self, request, queryset, service, done_message: str):
        done, refusals = 0, []
        for plan in queryset:
            try:
                service(plan=plan, actor=request.user)
            except RuleViolation as refusal:
                refusals.append(f"{plan.name}：{refusal.message}")
            else:
                done += 1
        self.message_user(request, done_message % {"n": done}, messages.SUCCESS)
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)

    @action(description=_("启动所选计划（生成回访任务）"))
    def activate(self, request, queryset):
        self._move(request, queryset, plan_activate, gettext("已启动 %(n)d 个回访计划。"))

    @action(description=_("结束所选计划"))
    def close(self, request, queryset):
        self._move(request, queryset, plan_close, gettext("已结束 %(n)d 个回访计划。"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.funnel_view)
        return [path("funnel/", view, name="callbacks_callbackplan_funnel"), *super().get_urls()]

    def funnel_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context, status = funnel_page(request.user, request.GET, default_by=FunnelBy.STORE)
        for field in context["form"].fields.values():
            field.widget = UnfoldAdminSelectWidget(choices=field.choices)
        context.update(
            self.admin_site.each_context(request),
            title=gettext("回访漏斗"),
            opts=self.model._meta,
        )
        return TemplateResponse(request, "admin/callbacks/funnel.html", context, status=status)


@admin.register(CallbackTask)
class CallbackTaskAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "plan",
        "member_name",
        "member_phone",
        "store",
        "assignee",
        "status",
        "next_call_on",
        "due_on",
        "attempts",
        "converted_amount",
    ]
    list_filter = ["status", ("plan", RelatedDropdownFilter), ("store", RelatedDropdownFilter)]
    list_filter_submit = True
    list_select_related = ["plan", "member", "store", "assignee"]
    fields = [
        ("plan", "store", "assignee"),
        ("member_name", "member_phone"),
        ("status", "priority", "attempts"),
        ("next_call_on", "due_on", "last_called_at"),
        ("reached_at", "conversion_until"),
        ("converted_order", "converted_amount", "converted_at"),
        "note",
    ]
    readonly_fields = ["member_name", "member_phone"]

    @display(description=_("会员"))
    def member_name(self, task):
        return task.member.name

    @display(description=_("会员手机"))
    def member_phone(self, task):
        return mask_phone(task.member.phone)


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyAdmin):
    list_display = ["called_at", "task", "member_name", "outcome", "called_by", "follow_up_on"]
    list_filter = ["outcome"]
    list_select_related = ["task__member", "called_by"]
    fields = ["task", "outcome", "note", "follow_up_on", "called_at", "called_by"]

    @display(description=_("会员"))
    def member_name(self, attempt):
        return attempt.task.member.name
