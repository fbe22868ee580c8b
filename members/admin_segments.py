"""HQ admin for segments (分组): the list with sizes, the size history, a link to the portal's
rule builder. The rule is edited in the portal (/segments/<id>/edit/); here it is validated too."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import display

from .admin_base import HqOnlyAdmin
from .models import Segment, SegmentSize
from .segments import rule_validate


class SegmentSizeInline(TabularInline):
    model = SegmentSize
    extra = 0
    can_delete = False
    fields = ["business_date", "member_count", "total_spent", "created_at"]
    readonly_fields = fields
    ordering = ["-business_date"]
    verbose_name_plural = _("人数历史")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SegmentAdminForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "description", "store", "base", "rule", "is_starter", "active"]

    def clean_rule(self):
        rule = self.cleaned_data["rule"]
        errors = rule_validate(rule)
        if errors:
            raise forms.ValidationError([str(error) for error in errors])
        return rule


@admin.register(Segment)
class SegmentAdmin(HqOnlyAdmin):
    form = SegmentAdminForm
    list_display = [
        "name",
        "store",
        "is_starter",
        "active",
        "member_count",
        "total_spent",
        "materialised_at",
        "portal_link",
    ]
    list_filter = ["is_starter", "active", ("store", RelatedDropdownFilter)]
    list_filter_submit = True
    list_select_related = ["store"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["store"]
    raw_id_fields = ["base"]
    readonly_fields = ["member_count", "total_spent", "materialised_at", "created_by"]
    inlines = [SegmentSizeInline]
    list_before_template = "admin/segments/segment_list_before.html"

    @display(description=_("规则编辑器"))
    def portal_link(self, segment):
        url = reverse("portal:segment_edit", kwargs={"pk": segment.pk})
        return format_html('<a href="{}">{}</a>', url, _("在门户中编辑"))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
