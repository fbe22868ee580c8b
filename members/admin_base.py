"""The base of every HQ admin page: HQ staff only, querysets through visible_to(user)."""

from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from unfold.admin import ModelAdmin

from .models import Role


def is_hq_staff(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.is_hq


def autocomplete(form_field, model_field, admin_site) -> None:
    """Turn a custom admin form's choice of a model with thousands of rows (stores, segments)
    into the admin's search-as-you-type widget. `model_field` is a foreign key, on a model the
    admin registers, to the chosen model; the search is that model's admin (its scope and
    search_fields). The page must render the form's media."""
    form_field.widget = AutocompleteSelect(model_field, admin_site)
    form_field.widget.choices = form_field.choices


class EstimatedCountPaginator(Paginator):
    """On Postgres, an unfiltered list of millions uses the planner's row estimate, not COUNT(*)."""

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if connection.vendor == "postgresql" and query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                estimate = cursor.fetchone()[0]
            if estimate > 100_000:
                return estimate
        return super().count


class HqOnlyAdmin(ModelAdmin):
    """HQ staff only; queryset scoped through the model's visible_to(user)."""

    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not self._is_hq(request):
            return queryset.none()
        # Store-owned models are scoped by their one rule; HQ reference data has no scope.
        return queryset.visible_to(request.user) if hasattr(queryset, "visible_to") else queryset

    def _is_hq(self, request):
        return is_hq_staff(request)

    def has_module_permission(self, request):
        return self._is_hq(request)

    def has_view_permission(self, request, obj=None):
        return self._is_hq(request)

    def has_add_permission(self, request):
        return self._is_hq(request)

    def has_change_permission(self, request, obj=None):
        return self._is_hq(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_hq(request) and (
            request.user.is_superuser or request.user.role == Role.HQ_ADMIN
        )


class ReadOnlyAdmin(HqOnlyAdmin):
    """Records that come from the POS, imports or services: viewed here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SingletonSettingsAdmin(HqOnlyAdmin):
    """HQ's settings of one kind (members.models.SingletonSettings): the list opens the one row;
    it can be added only while missing, never deleted."""

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        row = self.model.objects.order_by("pk").first()
        opts = self.model._meta
        if row is None:
            return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not self.model.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
