"""The guide's worklist and the task page (a phone screen first), and the store manager's
progress per guide. Thin: every read through visible_to(request.user), every write through
callbacks.services; another store's task is a 404.

- callbacks/: today's due tasks in calling order (a store manager: the store's, by guide), the
  user's latest overdue reminder, and members who bought within the care window flagged;
- callbacks/tasks/reassign/: a store manager hands the ticked tasks, or all of one guide's, to
  another member of staff of the store;
- callbacks/tasks/<pk>/: the five looks, the plan's script, the member's coupons and last calls,
  and the outcome form; after recording, the next task of the worklist;
- callbacks/progress/: the store's active plans per guide, who is behind (催办), for managers.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from coupons.forms_issuing import member_coupon_section
from members.errors import RuleViolation
from members.paging import page_of, query_without_page
from members.phones import phone_for
from members.selectors import member_card

from .forms import BulkReassignForm, OutcomeForm, ReassignForm, WorklistFilterForm
from .models import CallbackTask
from .selectors import FunnelBy, callback_funnel, nudge_list
from .selectors_portal import (
    latest_overdue_reminder,
    member_last_calls,
    next_task,
    store_guides,
    worklist,
)
from .services.generation import bought_in_care_window
from .services.outcomes import callback_outcome_record, may_record_outcome
from .services.reassign import callback_tasks_reassign, callback_tasks_reassign_all

TASKS_PER_PAGE = 20


def _worklist_filter(request) -> tuple[WorklistFilterForm, object, int]:
    form = WorklistFilterForm(request.GET or None, guides=store_guides(request.user))
    if not form.is_bound:
        return form, None, 200
    if not form.is_valid():
        return form, None, 400
    return form, form.cleaned_data["guide"], 200


@login_required
@require_safe
def worklist_page(request):
    user = request.user
    if user.is_hq:
        return redirect("admin:callbacks_callbacktask_changelist")
    if not user.is_store_staff:
        return redirect("portal:callback_funnel")
    return _render_worklist(request)


def _render_worklist(request, *, bulk_form: BulkReassignForm | None = None, status: int = 200):
    user, today = request.user, timezone.localdate()
    form, guide, filter_status = _worklist_filter(request)
    tasks = worklist(user, today=today, guide=guide)
    page = page_of(
        request, tasks if filter_status == 200 else tasks.none(), per_page=TASKS_PER_PAGE
    )
    for task in page.object_list:
        task.display_phone = phone_for(user, task.member.phone)
        task.is_overdue = task.due_on < today
    if bulk_form is None and user.is_store_manager:
        bulk_form = BulkReassignForm(user=user)
    fragment = request.htmx and not request.htmx.history_restore_request
    context = {
        "page": page,
        "filter_form": form,
        "bulk_form": bulk_form,
        "reminder": None if fragment else latest_overdue_reminder(user, today=today),
        "query": query_without_page(request),
        "today": today,
    }
    template = "callbacks/_worklist_results.html" if fragment else "callbacks/worklist.html"
    response = render(request, template, context, status=max(status, filter_status))
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def tasks_reassign_bulk(request):
    """Several tasks at once (the ticked ones, or all of one guide's) to another member of staff
    of the store, through the one re-assign rule; ids of other stores move nothing."""
    user = request.user
    if not user.is_store_manager:
        raise PermissionDenied(_("只有店长可以改派回访任务。"))
    form = BulkReassignForm(request.POST, user=user)
    if not form.is_valid():
        return _render_worklist(request, bulk_form=form, status=400)
    to_user, from_user = form.cleaned_data["to_user"], form.cleaned_data["from_user"]
    try:
        if from_user is not None:
            moved = callback_tasks_reassign_all(from_user=from_user, to_user=to_user, actor=user)
        else:
            moved = callback_tasks_reassign(
                task_ids=form.cleaned_data["tasks"], to_user=to_user, actor=user
            )
    except RuleViolation as refusal:
        form.add_error(None, refusal.message)
        return _render_worklist(request, bulk_form=form, status=refusal.status_code)
    name = to_user.get_full_name() or to_user.username
    if moved:
        messages.success(
            request, _("已把 %(count)d 条任务改派给 %(name)s。") % {"count": moved, "name": name}
        )
    else:
        messages.warning(
            request, _("没有任务被改派：所选任务已结束，或已在 %(name)s 名下。") % {"name": name}
        )
    return redirect("portal:callback_worklist")


# --- One task -----------------------------------------------------------------------------------


def _visible_task(request, pk: int) -> CallbackTask:
    tasks = CallbackTask.objects.visible_to(request.user).select_related(
        "plan__coupon_template", "member__home_store", "member__guide", "member__rfm", "assignee"
    )
    today = timezone.localdate()
    tasks = tasks.annotate(
        in_care_window=bought_in_care_window(today=today, member_ref="member_id")
    )
    return get_object_or_404(tasks, pk=pk)


def _task_context(request, task: CallbackTask, **extra) -> dict:
    user, member = request.user, task.member
    may_record = may_record_outcome(user, task)
    context = {
        "task": task,
        "plan": task.plan,
        **member_card(user, member),
        "last_calls": member_last_calls(user, member.pk),
        "may_record": may_record,
        "is_overdue": task.is_open and task.due_on < timezone.localdate(),
        **member_coupon_section(user, member),
    }
    if may_record and "outcome_form" not in extra:
        context["outcome_form"] = OutcomeForm()
    if user.is_store_manager and task.is_open and "reassign_form" not in extra:
        context["reassign_form"] = ReassignForm(user=user, initial={"to_user": task.assignee_id})
    context.update(extra)
    return context


@login_required
@require_safe
def task_detail(request, pk: int):
    task = _visible_task(request, pk)
    return render(request, "callbacks/task_detail.html", _task_context(request, task))


@login_required
@require_POST
def task_record(request, pk: int):
    task = _visible_task(request, pk)
    form = OutcomeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            task = callback_outcome_record(task=task, actor=request.user, **form.cleaned_data)
        except RuleViolation as refusal:
            form.add_error(None, refusal.message)
            status = refusal.status_code
        else:
            messages.success(
                request,
                _("已记录 %(name)s 的回访结果：%(outcome)s。")
                % {"name": task.member.name, "outcome": task.get_status_display()},
            )
            following = next_task(request.user, today=timezone.localdate(), after=task)
            if following is None:
                return redirect("portal:callback_worklist")
            return redirect("portal:callback_task", pk=following.pk)
    task = _visible_task(request, pk)
    context = _task_context(request, task, outcome_form=form, may_record=True)
    return render(request, "callbacks/task_detail.html", context, status=status)


@login_required
@require_POST
def task_reassign(request, pk: int):
    task = _visible_task(request, pk)
    if not request.user.is_store_manager:
        raise PermissionDenied(_("只有店长可以改派回访任务。"))
    form = ReassignForm(request.POST, user=request.user)
    status = 400
    if form.is_valid():
        to_user = form.cleaned_data["to_user"]
        try:
            moved = callback_tasks_reassign(task_ids=[task.pk], to_user=to_user, actor=request.user)
        except RuleViolation as refusal:
            form.add_error(None, refusal.message)
            status = refusal.status_code
        else:
            if moved or (task.is_open and task.assignee_id == to_user.pk):
                name = to_user.get_full_name() or to_user.username
                messages.success(request, _("已改派给 %(name)s。") % {"name": name})
            else:
                messages.error(request, _("这条任务已结束，不能再改派。"))
            return redirect("portal:callback_task", pk=task.pk)
    context = _task_context(request, task, reassign_form=form)
    return render(request, "callbacks/task_detail.html", context, status=status)


# --- The store's progress -----------------------------------------------------------------------


@login_required
@require_safe
def progress(request):
    """The store's active plans per guide, and the nudge list (who has overdue tasks)."""
    user = request.user
    if user.is_hq:
        return redirect("admin:callbacks_callbackplan_funnel")
    if not user.is_store_manager:
        raise PermissionDenied(_("回访进度只对店长开放。"))
    funnel = callback_funnel(user=user, by=FunnelBy.GUIDE, active_only=True)
    context = {"funnel": funnel, "nudges": nudge_list(funnel)}
    return render(request, "callbacks/progress.html", context)
