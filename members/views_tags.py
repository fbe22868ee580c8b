"""Tags by hand in the store portal (htmx): add, create (store managers) and remove.

Each view answers an htmx request with the refreshed tag section, and a plain form post with a
redirect to the member (or the page with the reason, 4xx). The rules live in members.tags.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import tags
from .errors import RuleViolation
from .forms import MemberTagForm, NewStoreTagForm
from .models import Member, Tag
from .views import render_member_detail, tags_context


def _member(request, pk: int) -> Member:
    members = Member.objects.visible_to(request.user).select_related("home_store")
    return get_object_or_404(members, pk=pk)


def _tags_section(request, member, *, status=200, **extra):
    """The refreshed tag section for htmx; the whole member page for a plain form post."""
    if request.htmx:
        context = tags_context(request.user, member, **extra)
        return render(request, "portal/_member_tags.html", context, status=status)
    return render_member_detail(request, member, status=status, **extra)


def _answer(request, member, write, *, success: str, **forms):
    """Run `write` (a service call); answer with the tag section or a redirect."""
    try:
        write()
    except RuleViolation as refused:
        return _tags_section(
            request, member, status=refused.status_code, tag_error=refused.message, **forms
        )
    if request.htmx:
        return _tags_section(request, member)
    messages.success(request, success)
    return redirect("portal:member_detail", pk=member.pk)


def _invalid(request, member, **forms):
    return _tags_section(request, member, status=400, **forms)


@login_required
@require_POST
def member_tag_add(request, pk: int):
    member = _member(request, pk)
    form = MemberTagForm(request.POST, user=request.user, member=member)
    if not form.is_valid():
        return _invalid(request, member, tag_form=form)
    tag = form.cleaned_data["tag"]
    return _answer(
        request,
        member,
        lambda: tags.member_tag_add(member=member, tag=tag, actor=request.user),
        success=_("已添加标签。"),
        tag_form=form,
    )


@login_required
@require_POST
def member_tag_create(request, pk: int):
    member = _member(request, pk)
    form = NewStoreTagForm(request.POST)
    if not form.is_valid():
        return _invalid(request, member, new_tag_form=form)
    return _answer(
        request,
        member,
        lambda: tags.member_tag_add_new(
            member=member,
            name=form.cleaned_data["name"],
            family=form.cleaned_data["family"],
            actor=request.user,
        ),
        success=_("已新建门店标签并添加给会员。"),
        new_tag_form=form,
    )


@login_required
@require_POST
def member_tag_remove(request, pk: int, tag_id: int):
    member = _member(request, pk)
    tag = get_object_or_404(Tag.objects.visible_to(request.user), pk=tag_id)
    return _answer(
        request,
        member,
        lambda: tags.member_tag_remove(member=member, tag=tag, actor=request.user),
        success=_("已移除标签。"),
    )
