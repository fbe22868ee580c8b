"""HQ admin for segments (分组): the list with sizes, the size history, a link to the portal's
rule builder. The rule is edited in the portal (/segments/<id>/edit/); here it is validated too."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import display

from .admin_base import HqOnlyAdmin
from .models import Segment, SegmentSize
from .segments.services import segment_update


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


@admin.register(Segment)
class SegmentAdmin(HqOnlyAdmin):
    """HQ's list of every segment. Segments are made and their rules edited in the portal's
    builder, through the segment services (who may base what on what, audit rows); here HQ
    renames them and switches them on or off."""

    fields = ["name", "description", "store", "base", "rule", "is_starter", "active"]
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
    readonly_fields = [
        "store",
        "base",
        "rule",
        "member_count",
        "total_spent",
        "materialised_at",
        "created_by",
    ]
    inlines = [SegmentSizeInline]
    list_before_template = "admin/segments/segment_list_before.html"

    @display(description=_("规则编辑器"))
    def portal_link(self, segment):
        url = reverse("portal:segment_edit", kwargs={"pk": segment.pk})
        return format_html('<a href="{}">{}</a>', url, _("在门户中编辑"))

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        """A store's sub-segment is the store manager's to rename (segments.services)."""
        store_owned = ["name", "description"] if obj is not None and obj.store_id else []
        return [*store_owned, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        """Name and description through segment_update (its rules and audit row); the on/off
        switches as plain fields."""
        flags = {"is_starter": obj.is_starter, "active": obj.active}
        if {"name", "description"} & set(form.changed_data):
            stored = Segment.objects.get(pk=obj.pk)
            obj = segment_update(
                segment=stored,
                name=obj.name,
                description=obj.description,
                rule=stored.rule,
                base=stored.base,
                actor=request.user,
            )
        Segment.objects.filter(pk=obj.pk).update(**flags)
