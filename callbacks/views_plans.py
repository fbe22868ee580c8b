"""Callback plans in the portal: a store manager lists, makes, edits (draft only), previews,
starts and closes their own store's plans, and reads HQ's plans and every plan's progress within
the store; a region manager reads their region's. HQ's plans are made in the admin. A plan of
another store is a 404 (CallbackPlan.objects.visible_to)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from members.errors import RuleViolation
from members.paging import page_of, query_without_page
from members.selectors_rfm import may_see_group_figures

from .forms import PlanForm, PlanListFilterForm, ProductSearchForm
from .models import CallbackPlan, PlanStatus
from .selectors import FunnelBy, callback_funnel, plan_preview
from .selectors_portal import product_search, products_by_id
from .services.generation import generation_run
from .services.plans import (
    may_create_plan,
    may_manage_plan,
    plan_activate,
    plan_close,
    plan_create,
    plan_update,
)

PLANS_PER_PAGE = 20


def _plans_reader_check(user) -> None:
    if not may_see_group_figures(user):
        raise PermissionDenied(_("回访计划只对店长和片区经理开放。"))


def _maker_check(user) -> None:
    if user.is_hq or not may_create_plan(user):
        raise PermissionDenied(_("只有店长可以在门店后台新建回访计划；总部请在管理后台操作。"))


def _visible_plan(request, pk: int) -> CallbackPlan:
    plans = CallbackPlan.objects.visible_to(request.user).select_related(
        "store", "segment", "coupon_template", "created_by"
    )
    return get_object_or_404(plans, pk=pk)


@login_required
@require_safe
def plan_list(request):
    user = request.user
    if user.is_hq:
        return redirect("admin:callbacks_callbackplan_changelist")
    _plans_reader_check(user)
    form = PlanListFilterForm(request.GET or None)
    plans = CallbackPlan.objects.visible_to(user).select_related("store", "segment")
    status = 200
    if form.is_bound and not form.is_valid():
        plans, status = plans.none(), 400
    elif form.is_bound and form.cleaned_data["status"]:
        plans = plans.filter(status=form.cleaned_data["status"])
    context = {
        "page": page_of(request, plans, per_page=PLANS_PER_PAGE),
        "filter_form": form,
        "query": query_without_page(request),
        "may_create": may_create_plan(user),
    }
    return render(request, "callbacks/plan_list.html", context, status=status)


def _plan_form_page(request, form: PlanForm, plan: CallbackPlan | None):
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        try:
            products = form.chosen_products()
            if plan is None:
                plan = plan_create(
                    actor=request.user, fields=form.plan_fields(), promoted_products=products
                )
            else:
                plan = plan_update(
                    plan=plan,
                    actor=request.user,
                    fields=form.plan_fields(),
                    promoted_products=products,
                )
        except RuleViolation as refusal:
            form.add_error(None, refusal.message)
            status = refusal.status_code
        else:
            messages.success(request, _("回访计划已保存。请查看预览，确认后启动。"))
            return redirect("portal:callback_plan", pk=plan.pk)
    context = {"form": form, "plan": plan}
    return render(request, "callbacks/plan_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request):
    _maker_check(request.user)
    form = PlanForm(request.POST or None, user=request.user)
    return _plan_form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk: int):
    plan = _visible_plan(request, pk)
    if not may_manage_plan(request.user, plan) or request.user.is_hq:
        raise PermissionDenied(_("只有本店店长可以修改这个回访计划。"))
    if plan.status != PlanStatus.DRAFT:
        messages.error(request, _("回访计划已启动或已结束，不能再修改。"))
        return redirect("portal:callback_plan", pk=plan.pk)
    form = PlanForm(request.POST or None, user=request.user, instance=plan)
    return _plan_form_page(request, form, plan)


@login_required
@require_safe
def product_search_view(request):
    """The plan form's product search (htmx): the ticked products, then up to 20 matches of the
    brand's catalogue by SKU, name or series."""
    if not may_create_plan(request.user):
        raise PermissionDenied(_("只有店长可以选择在促商品。"))
    form = ProductSearchForm(request.GET)
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        return HttpResponseBadRequest(escape(errors[0]))
    ticked = products_by_id(form.cleaned_data["promoted_products"])
    query = form.cleaned_data["q"]
    matches = product_search(query, exclude_ids=[product.pk for product in ticked])
    context = {
        "name": "promoted_products",
        "products": [*ticked, *matches],
        "checked": {product.pk for product in ticked},
        "query": query,
    }
    return render(request, "callbacks/_product_options.html", context)


def _render_plan(request, plan: CallbackPlan, *, status: int = 200, error: str = ""):
    user = request.user
    context = {"plan": plan, "may_manage": may_manage_plan(user, plan), "error": error}
    if plan.status == PlanStatus.DRAFT:
        context["preview"] = plan_preview(plan, user=user)
    else:
        context["funnel"] = callback_funnel(user=user, by=FunnelBy.GUIDE, plan=plan)
        context["run"] = generation_run(plan)
    return render(request, "callbacks/plan_detail.html", context, status=status)


@login_required
@require_safe
def plan_detail(request, pk: int):
    if request.user.is_hq:
        return redirect("admin:callbacks_callbackplan_change", pk)
    plan = _visible_plan(request, pk)  # another store's plan: 404 before anything else
    _plans_reader_check(request.user)
    return _render_plan(request, plan)


def _plan_move(request, pk: int, service, done: str):
    plan = _visible_plan(request, pk)
    if request.user.is_hq:
        raise PermissionDenied(_("总部计划请在管理后台操作。"))
    try:
        service(plan=plan, actor=request.user)
    except RuleViolation as refusal:
        if refusal.status_code == 403:
            raise PermissionDenied(refusal.message) from None
        return _render_plan(request, plan, status=refusal.status_code, error=refusal.message)
    messages.success(request, done)
    return redirect("portal:callback_plan", pk=plan.pk)


@login_required
@require_POST
def plan_activate_view(request, pk: int):
    return _plan_move(request, pk, plan_activate, _("回访计划已启动，正在生成回访任务。"))


@login_required
@require_POST
def plan_close_view(request, pk: int):
    return _plan_move(request, pk, plan_close, _("回访计划已结束。"))
