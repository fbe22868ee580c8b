"""Segment pages of the store portal: list, detail, builder (new/edit), on-demand
materialisation and export. Thin: every read through visible_to(request.user), every write
through a service; another store's segment is a 404, a segment one may see but not edit a 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from ..errors import RuleViolation
from ..exports import may_export
from ..models import Segment, SegmentSize
from ..paging import page_of
from ..phones import phone_for
from . import builder, services
from .export import segment_members_export
from .forms import SegmentForm
from .rules import rule_check
from .selectors import (
    own_member_counts,
    segment_history,
    segment_members,
    segment_preview,
    sizes_visible,
)
from .sparkline import sparkline

MEMBERS_PER_PAGE = 30
TREND_DAYS = 30


def _visible_segment(request, pk: int) -> Segment:
    segments = Segment.objects.visible_to(request.user).select_related("store", "base")
    return get_object_or_404(segments, pk=pk)


# --- List ---------------------------------------------------------------------------------------


def _listed(user):
    segments = Segment.objects.visible_to(user).filter(active=True).select_related("store")
    # HQ's list is its own segments; the stores' sub-segments are in the admin.
    return segments.hq() if user.is_hq else segments


def _trends(segments, user) -> dict[int, str]:
    shown = [segment.pk for segment in segments if sizes_visible(segment, user)]
    sizes = SegmentSize.objects.filter(segment_id__in=shown).order_by("business_date")
    series: dict[int, list[int]] = {}
    for segment_id, count in sizes.values_list("segment_id", "member_count"):
        series.setdefault(segment_id, []).append(count)
    return {pk: sparkline(values[-TREND_DAYS:]) for pk, values in series.items()}


@login_required
@require_safe
def segment_list(request):
    user = request.user
    segments = list(_listed(user))
    own_counts = {} if user.is_hq else own_member_counts(user, [s.pk for s in segments])
    trends = _trends(segments, user)
    for segment in segments:
        segment.shown_count = (
            segment.member_count if sizes_visible(segment, user) else own_counts.get(segment.pk, 0)
        )
        segment.trend = trends.get(segment.pk, "")
    context = {
        "segments": segments,
        "may_create": services.may_create_segment(user),
    }
    return render(request, "portal/segments/list.html", context)


# --- Detail -------------------------------------------------------------------------------------


def _members_page(request, segment):
    members = segment_members(
        segment, user=request.user, today=timezone.localdate()
    ).select_related("guide", "rfm")
    page = page_of(request, members.order_by("-pk"), per_page=MEMBERS_PER_PAGE)
    for member in page.object_list:
        member.display_phone = phone_for(request.user, member.phone)
    return page


def _live(request, segment) -> dict:
    """The live figures and members; a stored rule that no longer validates shows its errors."""
    user = request.user
    try:
        preview = segment_preview(
            rule=segment.rule,
            base=segment.base,
            store=segment.store,
            user=user,
            today=timezone.localdate(),
        )
        return {"preview": preview, "page": _members_page(request, segment), "rule_error": ""}
    except RuleViolation as violation:
        return {"preview": None, "page": None, "rule_error": violation.message}


@login_required
@require_safe
def segment_detail(request, pk: int):
    segment = _visible_segment(request, pk)
    user = request.user
    history = segment_history(segment) if sizes_visible(segment, user) else []
    context = {
        "segment": segment,
        "rule_lines": builder.describe(segment.rule, user=user),
        "base_lines": builder.describe(segment.base.rule, user=user) if segment.base else [],
        "history": history,
        "history_line": sparkline([size.member_count for size in history], width=320, height=80),
        "may_edit": services.may_edit_segment(user, segment),
        "may_export": may_export(user),
        **_live(request, segment),
    }
    return render(request, "portal/segments/detail.html", context)


# --- Builder ------------------------------------------------------------------------------------


def _builder_context(request, *, segment, rule, errors, form, preview=None) -> dict:
    return {
        "segment": segment,
        "form": form,
        "tree": builder.rule_tree(rule, errors, user=request.user),
        "errors": errors,
        "choices": builder.condition_choices(),
        "preview": preview,
    }


def _preview(request, rule, base):
    """The builder's live figures: a store manager's rule is confined to their own store."""
    user = request.user
    return segment_preview(
        rule=rule, base=base, store=user.own_store, user=user, today=timezone.localdate()
    )


def _render_builder(request, context, status=200):
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "portal/segments/_builder.html" if fragment else "portal/segments/builder.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _save(request, segment, rule, form):
    data = {key: form.cleaned_data.get(key) for key in ("name", "description", "base")}
    if segment is None:
        return services.segment_create(**data, rule=rule, actor=request.user)
    return services.segment_update(segment=segment, **data, rule=rule, actor=request.user)


def _saved(request, segment):
    messages.success(request, _("分组“%(name)s”已保存。") % {"name": segment.name})
    url = reverse("portal:segment_detail", kwargs={"pk": segment.pk})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _builder_post(request, segment):
    rule, nodes = builder.rule_from_post(request.POST, user=request.user)
    action = request.POST.get("action", "")
    builder.rule_apply(nodes, action, request.POST)
    checked = rule_check(rule, user=request.user)
    form = SegmentForm(request.POST, user=request.user)
    base = form.cleaned_data.get("base") if form.is_valid() else getattr(segment, "base", None)
    if action == "save" and not checked.errors and form.is_valid():
        try:
            return _saved(request, _save(request, segment, checked.rule, form))
        except RuleViolation as violation:
            form.add_error(None, violation.message)
    # Only a page shown again needs the preview (a chain-wide aggregate for HQ), not a save.
    preview = None if checked.errors else _preview(request, checked.rule, base)
    saving_failed = action == "save"
    context = _builder_context(
        request, segment=segment, rule=rule, errors=checked.errors, form=form, preview=preview
    )
    bad = bool(checked.errors) or (saving_failed and bool(form.errors))
    return _render_builder(request, context, status=400 if bad else 200)


def _builder_get(request, segment):
    rule = segment.rule if segment else {"op": "and", "items": []}
    initial = {}
    if segment is not None:
        initial = {"name": segment.name, "description": segment.description, "base": segment.base}
    form = SegmentForm(initial=initial, user=request.user)
    checked = rule_check(rule, user=request.user)
    base = segment.base if segment else None
    preview = None if checked.errors else _preview(request, checked.rule, base)
    context = _builder_context(
        request, segment=segment, rule=rule, errors=checked.errors, form=form, preview=preview
    )
    return _render_builder(request, context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def segment_new(request):
    if not services.may_create_segment(request.user):
        raise PermissionDenied(_("只有总部和店长可以新建分组。"))
    if request.method == "POST":
        return _builder_post(request, None)
    return _builder_get(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def segment_edit(request, pk: int):
    segment = _visible_segment(request, pk)
    if not services.may_edit_segment(request.user, segment):
        raise PermissionDenied(_("您不能修改这个分组。"))
    if request.method == "POST":
        return _builder_post(request, segment)
    return _builder_get(request, segment)


# --- Materialise now, export --------------------------------------------------------------------


@login_required
@require_POST
def segment_materialise_now(request, pk: int):
    segment = _visible_segment(request, pk)
    try:
        services.segment_materialise_request(segment=segment, actor=request.user)
    except RuleViolation as refused:
        raise PermissionDenied(refused.message) from None
    messages.success(request, _("已开始重新计算分组人数，稍后刷新查看。"))
    return redirect("portal:segment_detail", pk=segment.pk)


@login_required
@require_POST
def segment_export(request, pk: int):
    segment = _visible_segment(request, pk)
    masked = request.POST.get("full_phones") != "1"
    try:
        log, lines = segment_members_export(
            segment=segment, today=timezone.localdate(), masked=masked, actor=request.user
        )
    except RuleViolation as violation:
        raise PermissionDenied(violation.message) from None
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    filename = f"segment-{segment.pk}-{log.created_at:%Y%m%d%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response
