"""HQ admin (django-unfold). Every get_queryset starts from visible_to(request.user).

Only HQ staff use the admin; store staff work in the portal. Ownership fields are read-only on
existing members: they change only through the audited re-bind page (members.services).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import RangeDateTimeFilter, RelatedDropdownFilter
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from . import admin_imports, admin_segments  # noqa: F401  (register their admin pages)
from .admin_base import HqOnlyAdmin, ReadOnlyAdmin
from .admin_rfm import MemberRfmInline  # also registers the RFM settings, runs and matrix pages
from .errors import RuleViolation
from .models import (
    Member,
    Order,
    OrderLine,
    OwnershipChange,
    Product,
    Region,
    Segment,
    Store,
    StoreGroup,
    Tag,
    User,
)
from .phones import mask_phone
from .services import member_rebind


@admin.register(Region)
class RegionAdmin(HqOnlyAdmin):
    search_fields = ["name"]
    list_display = ["name", "created_at"]


@admin.register(StoreGroup)
class StoreGroupAdmin(RegionAdmin):
    pass


@admin.register(Store)
class StoreAdmin(HqOnlyAdmin):
    list_display = ["code", "name", "operating_model", "region", "store_group", "active"]
    list_filter = ["operating_model", "active", ("region", RelatedDropdownFilter)]
    list_filter_submit = True
    search_fields = ["code", "name"]
    list_select_related = ["region", "store_group"]


@admin.register(User)
class StaffAdmin(BaseUserAdmin, HqOnlyAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "first_name", "role", "store", "region", "guide_code", "is_active"]
    list_filter = ["role", "is_active", ("store", RelatedDropdownFilter)]
    list_filter_submit = True
    search_fields = ["username", "first_name", "last_name", "guide_code"]
    list_select_related = ["store", "region"]
    autocomplete_fields = ["store"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("岗位"), {"fields": ["role", "region", "store", "guide_code"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("岗位"), {"fields": ["role", "region", "store", "guide_code"]}),
    ]


class TagAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("rule_segment") and cleaned.get("store"):
            self.add_error("store", _("规则标签只能是总部标签，请清空门店。"))
        return cleaned


@admin.register(Tag)
class TagAdmin(HqOnlyAdmin):
    """HQ tags, store tags and HQ rule tags (recomputed nightly from a segment's rule)."""

    form = TagAdminForm
    list_display = ["name", "family", "store", "rule_segment", "recomputed_at", "member_count"]
    list_filter = ["family", ("rule_segment", admin.EmptyFieldListFilter)]
    list_select_related = ["store", "rule_segment"]
    search_fields = ["name"]
    autocomplete_fields = ["store"]
    readonly_fields = ["recomputed_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("member_tags"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "rule_segment":
            kwargs["queryset"] = Segment.objects.hq()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @display(description=_("会员数"), ordering="member_total")
    def member_count(self, tag):
        return tag.member_total


class OwnershipChangeInline(TabularInline):
    model = OwnershipChange
    fk_name = "member"
    extra = 0
    can_delete = False
    fields = [
        "changed_at",
        "from_store",
        "to_store",
        "from_guide",
        "to_guide",
        "reason",
        "changed_by",
    ]
    readonly_fields = fields
    verbose_name_plural = _("归属变更记录")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(HqOnlyAdmin):
    list_display = ["name", "phone", "home_store", "guide", "source", "level", "joined_at"]
    list_filter = ["source", "level", "gender", "marketing_opt_out"]
    list_select_related = ["home_store", "guide"]
    search_fields = ["phone", "name"]
    search_help_text = _("输入姓名、完整手机号或手机尾号后四位。")
    autocomplete_fields = ["referrer"]
    raw_id_fields = []
    inlines = [MemberRfmInline, OwnershipChangeInline]
    actions_detail = ["rebind"]
    ownership_fields = ["home_store", "guide"]

    def get_search_results(self, request, queryset, search_term):
        # One search rule for the admin, the portal and the API (indexed phone tail, exact phone).
        return queryset.search(search_term), False

    def get_readonly_fields(self, request, obj=None):
        return self.ownership_fields if obj else []

    def get_autocomplete_fields(self, request):
        return ["referrer", *self.ownership_fields]

    @action(description=_("改绑导购/门店"), url_path="rebind", icon="swap_horiz")
    def rebind(self, request, object_id):
        return redirect(reverse("admin:members_member_rebind_form", args=[object_id]))

    def get_urls(self):
        rebind_view = self.admin_site.admin_view(self.rebind_form_view)
        return [
            path("<int:object_id>/rebind-form/", rebind_view, name="members_member_rebind_form"),
            *super().get_urls(),
        ]

    def rebind_form_view(self, request, object_id):
        member = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = RebindForm(request.POST or None, member=member)
        if request.method == "POST" and form.is_valid():
            try:
                member_rebind(
                    member=member,
                    to_store=form.cleaned_data["to_store"],
                    to_guide=form.cleaned_data["to_guide"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except RuleViolation as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("已改绑，并记录了变更。"))
                return redirect(reverse("admin:members_member_change", args=[member.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("改绑会员 %(name)s（%(phone)s）")
            % {"name": member.name, "phone": mask_phone(member.phone)},
            "form": form,
            "member": member,
            "opts": self.model._meta,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(request, "admin/members/rebind.html", context, status=status)


class RebindForm(forms.Form):
    to_store = forms.ModelChoiceField(queryset=Store.objects.active(), label=_("新门店"))
    to_guide = forms.ModelChoiceField(
        queryset=User.objects.guides().select_related("store"), required=False, label=_("新导购")
    )
    reason = forms.CharField(max_length=200, label=_("原因"))

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_store"].initial = member.home_store_id
        self.fields["to_guide"].initial = member.guide_id


class OrderLineInline(TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["product", "quantity", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "order_no",
        "store",
        "member_link",
        "channel",
        "paid_at",
        "amount",
        "refunded_amount",
        "credited_store",
        "credited_guide",
    ]
    list_filter = ["channel", ("paid_at", RangeDateTimeFilter)]
    list_filter_submit = True
    list_select_related = ["store", "member", "credited_store", "credited_guide"]
    search_fields = ["order_no"]
    date_hierarchy = None
    inlines = [OrderLineInline]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        return (queryset.filter(order_no=term) if term else queryset), False

    @display(description=_("会员"))
    def member_link(self, order):
        if order.member_id is None:
            return "—"
        url = reverse("admin:members_member_change", args=[order.member_id])
        return format_html('<a href="{}">{}</a>', url, order.member.name)


@admin.register(Product)
class ProductAdmin(HqOnlyAdmin):
    list_display = ["sku", "name", "series", "category", "list_price"]
    list_filter = ["series", "category"]
    search_fields = ["sku", "name"]


@admin.register(OwnershipChange)
class OwnershipChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "member",
        "from_store",
        "to_store",
        "from_guide",
        "to_guide",
        "changed_by",
        "changed_at",
    ]
    list_select_related = [
        "member",
        "from_store",
        "to_store",
        "from_guide",
        "to_guide",
        "changed_by",
    ]
