"""Store portal views: thin, every read through visible_to(request.user)."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from coupons.forms_issuing import member_coupon_section

from . import services
from .errors import RuleViolation
from .exports import may_export
from .filters import MemberFilter
from .forms import MemberTagForm, NewStoreTagForm, RebindForm
from .models import Member, Order, OrderLine, OwnershipChange, RfmGroup, Source, Tag
from .paging import page_number, page_of, query_without_page
from .phones import phone_for
from .selectors import member_card

MEMBERS_PER_PAGE = 30
ORDERS_SHOWN = 20


@require_safe
def home(request):
    if not request.user.is_authenticated:
        return redirect("portal:login")
    if request.user.is_hq:
        return redirect("admin:index")
    return redirect("portal:member_list")


# --- Member list --------------------------------------------------------------------------------


@dataclass
class UncountedPage:
    """A page that never counts the table: HQ's list spans every store's members."""

    object_list: list
    number: int
    has_next: bool

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def _uncounted_page(queryset, number: int) -> UncountedPage:
    start = (number - 1) * MEMBERS_PER_PAGE
    rows = list(queryset[start : start + MEMBERS_PER_PAGE + 1])
    if number > 1 and not rows:
        raise Http404(_("页码无效。"))
    return UncountedPage(rows[:MEMBERS_PER_PAGE], number, len(rows) > MEMBERS_PER_PAGE)


def _member_page(request, queryset):
    number = page_number(request)
    if request.user.is_hq:
        return _uncounted_page(queryset, number)
    return page_of(request, queryset, per_page=MEMBERS_PER_PAGE)


def _dress_for_phones(member_filter: MemberFilter) -> None:
    """The shared FilterSet, shown for a thumb: "全部…" instead of dashes, a month picker."""
    fields = member_filter.form.fields
    fields["guide"].empty_label = _("全部导购")
    fields["tag"].empty_label = _("全部标签")
    fields["source"].empty_label = _("全部来源")
    fields["source"].choices = Source.choices  # re-applied: the empty label is baked in at init
    fields["rfm_group"].empty_label = _("全部客户群")
    fields["rfm_group"].choices = RfmGroup.choices
    months = [(month, _("%(month)d月") % {"month": month}) for month in range(1, 13)]
    fields["birthday_month"].widget = forms.Select(choices=[("", _("全部月份")), *months])


def _with_display_phones(user, members):
    for member in members:
        member.display_phone = phone_for(user, member.phone)
    return members


def member_filter_for(request, data) -> MemberFilter:
    """The member list's filters over the members the user may see."""
    members = Member.objects.visible_to(request.user).select_related("guide", "rfm")
    member_filter = MemberFilter(data, queryset=members, request=request)
    _dress_for_phones(member_filter)
    return member_filter


def render_member_list(request, member_filter: MemberFilter, *, status: int = 200, **extra):
    """The member list page (or its htmx fragment); a refused filter or export shows no members."""
    shown = member_filter.qs if status == 200 else member_filter.queryset.none()
    page = _member_page(request, shown)
    _with_display_phones(request.user, page.object_list)
    context = {
        "filter": member_filter,
        "page": page,
        "is_counted": not request.user.is_hq,
        "query": query_without_page(request),
        "may_export": may_export(request.user),
        "export_params": _filter_params(member_filter),
        **extra,
    }
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "portal/_member_results.html" if fragment else "portal/member_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _filter_params(member_filter: MemberFilter) -> list[tuple[str, str]]:
    """The filters in force, as the export form's hidden fields."""
    if not member_filter.is_bound:
        return []
    data = member_filter.data
    return [
        (name, value) for name in member_filter.filters for value in data.getlist(name) if value
    ]


@login_required
@require_safe
def member_list(request):
    member_filter = member_filter_for(request, request.GET or None)
    valid = member_filter.is_valid() if member_filter.is_bound else True
    return render_member_list(request, member_filter, status=200 if valid else 400)


# --- Member detail ------------------------------------------------------------------------------


def _visible_member(request, pk: int) -> Member:
    members = Member.objects.visible_to(request.user).select_related("home_store", "guide", "rfm")
    return get_object_or_404(members, pk=pk)


def _member_orders(user, member: Member):
    lines = OrderLine.objects.select_related("product").order_by("id")
    return (
        Order.objects.visible_to(user)
        .filter(member=member)
        .select_related("store")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-paid_at", "-id")
    )


def _detail_context(request, member: Member, **extra) -> dict:
    user = request.user
    orders = _member_orders(user, member)
    shown_orders = list(orders[: ORDERS_SHOWN + 1])
    context = {
        **member_card(user, member),
        "ownership_changes": OwnershipChange.objects.visible_to(user)
        .filter(member=member)
        .select_related("from_store", "to_store", "from_guide", "to_guide", "changed_by"),
        "orders": shown_orders[:ORDERS_SHOWN],
        "orders_capped": len(shown_orders) > ORDERS_SHOWN,
        "orders_limit": ORDERS_SHOWN,
        "may_rebind": user.is_store_manager,
        **member_coupon_section(user, member),
    }
    if context["may_rebind"] and "rebind_form" not in extra:
        context["rebind_form"] = RebindForm(user=user, initial={"guide": member.guide_id})
    context.update(tags_context(user, member, **extra))
    return context


def tags_context(user, member: Member, **extra) -> dict:
    """The tag section: the member's tags and, for store staff, the forms to change them."""
    may_tag = user.is_store_staff
    context = {
        "member": member,
        "tags": Tag.objects.visible_to(user).filter(member_tags__member=member),
        "may_tag": may_tag,
        "may_create_tag": may_tag and user.is_store_manager,
        "tag_error": "",
    }
    if may_tag:
        context["tag_form"] = MemberTagForm(user=user, member=member)
        context["new_tag_form"] = NewStoreTagForm()
    context.update(extra)
    return context


def render_member_detail(request, member: Member, *, status: int = 200, **extra):
    context = _detail_context(request, member, **extra)
    return render(request, "portal/member_detail.html", context, status=status)


@login_required
@require_safe
def member_detail(request, pk: int):
    member = _visible_member(request, pk)
    return render(request, "portal/member_detail.html", _detail_context(request, member))


@login_required
@require_POST
def member_phone_reveal(request, pk: int):
    member = _visible_member(request, pk)
    phone = services.member_phone_reveal(member=member, actor=request.user)
    if request.htmx:
        response = render(request, "portal/_phone_revealed.html", {"phone": phone})
    else:
        context = _detail_context(request, member, display_phone=phone, phone_is_masked=False)
        response = render(request, "portal/member_detail.html", context)
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def member_rebind(request, pk: int):
    member = _visible_member(request, pk)
    if not request.user.is_store_manager:
        raise PermissionDenied(_("只有店长可以重新绑定会员。"))
    form = RebindForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.member_rebind(
                member=member,
                to_guide=form.cleaned_data["guide"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except RuleViolation as violation:
            form.add_error(None, violation.message)
            status = violation.status_code
        else:
            messages.success(request, _("已将会员重新绑定给新导购。"))
            return redirect("portal:member_detail", pk=member.pk)
    else:
        status = 400
    context = _detail_context(request, member, rebind_form=form)
    return render(request, "portal/member_detail.html", context, status=status)


# --- Error pages --------------------------------------------------------------------------------


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
