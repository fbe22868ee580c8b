"""Issuing from the store portal, thin: a store manager's batch to their own sub-segment or
member list (and its live progress), a guide's single coupon on the member card, and one coupon's
life. Every object through visible_to(request.user): another store's batch or coupon is a 404."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from members.errors import RuleViolation
from members.models import Member

from .forms_issuing import BatchForm, SingleIssueForm, member_coupon_section
from .models import Coupon, IssueBatch
from .progress import batch_progress
from .selectors import RoiBy, RoiFilter, RoiRow, coupon_roi
from .selectors_life import coupon_life
from .services.issuing import batch_create, may_issue_batch
from .services.issuing_single import coupon_issue_single, may_issue_single


def _batch_issuer_check(user) -> None:
    """The portal's batch page is the store manager's (HQ issues in the admin)."""
    if user.is_hq or not may_issue_batch(user):
        raise PermissionDenied(_("只有店长可以在门店后台批量发券；总部请在管理后台发券。"))


@login_required
@require_http_methods(["GET", "POST"])
def batch_new(request):
    _batch_issuer_check(request.user)
    form = BatchForm(request.POST or None, user=request.user)
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        try:
            batch = batch_create(actor=request.user, **form.batch_arguments())
        except RuleViolation as refusal:
            form.add_error(None, refusal.message)
            status = refusal.status_code
        else:
            return redirect("portal:coupon_batch", pk=batch.pk)
    return render(request, "coupons/batch_new.html", {"form": form}, status=status)


def _visible_batch(request, pk: int) -> IssueBatch:
    batches = IssueBatch.objects.visible_to(request.user).select_related("template", "segment")
    return get_object_or_404(batches, pk=pk)


@login_required
@require_safe
def batch_detail(request, pk: int):
    batch = _visible_batch(request, pk)
    context = {
        "batch": batch,
        "progress": batch_progress(batch),
        "figures": _batch_figures(request.user, batch),
    }
    return render(request, "coupons/batch_detail.html", context)


def _batch_figures(user, batch: IssueBatch) -> RoiRow:
    """The batch's coupons the user may see (a store: its own share of an HQ batch), from the
    day it was made until today."""
    report = coupon_roi(
        user=user,
        start=timezone.localdate(batch.created_at),
        end=timezone.localdate() + timedelta(days=1),
        by=RoiBy.BATCH,
        where=RoiFilter(batch=batch),
    )
    return report.row(batch.pk) or RoiRow(key=batch.pk, label=str(batch))


@login_required
@require_safe
def batch_progress_fragment(request, pk: int):
    """The progress partial alone, polled by htmx while the batch is queued or running."""
    batch = _visible_batch(request, pk)
    context = {"batch": batch, "poll_url": request.path}
    return render(request, "coupons/_batch_progress.html", context)


@login_required
@require_POST
def member_coupon_issue(request, pk: int):
    """A guide (or the store manager) hands one allowed coupon to a member on the card."""
    if not may_issue_single(request.user):
        raise PermissionDenied(_("只有门店的店长和导购可以单张发券。"))
    member = get_object_or_404(Member.objects.visible_to(request.user), pk=pk)
    form = SingleIssueForm(request.POST, store=request.user.store)
    status = 400
    if form.is_valid():
        try:
            coupon = coupon_issue_single(
                template=form.cleaned_data["template"], member=member, actor=request.user
            )
        except RuleViolation as refusal:
            form.add_error(None, refusal.message)
            status = refusal.status_code
        else:
            messages.success(request, _("已发放“%(name)s”。") % {"name": coupon.template.name})
            form, status = None, 200
    if not request.htmx:
        if status != 200:
            errors = [error for field_errors in form.errors.values() for error in field_errors]
            messages.error(request, " ".join(errors))
        return redirect("portal:member_detail", pk=member.pk)
    context = {"member": member, **member_coupon_section(request.user, member, form)}
    return render(request, "coupons/_member_coupons.html", context, status=status)


@login_required
@require_safe
def coupon_detail(request, pk: int):
    coupons = Coupon.objects.visible_to(request.user).select_related("template", "member")
    coupon = get_object_or_404(coupons, pk=pk)
    context = {"coupon": coupon, "life": coupon_life(coupon, viewer=request.user)}
    return render(request, "coupons/coupon_detail.html", context)
