"""HQ admin for POS credentials: list, issue (the key is shown once), deactivate. HQ only."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.admin_base import HqOnlyAdmin, ReadOnlyAdmin

from .models import IdempotentRequest, PosApiKey
from .services import pos_api_key_issue, pos_api_keys_deactivate


@admin.register(PosApiKey)
class PosApiKeyAdmin(HqOnlyAdmin):
    list_display = ["prefix", "name", "store", "active", "created_at", "last_used_at"]
    list_filter = ["active"]
    search_fields = ["prefix", "name", "store__code", "store__name"]
    list_select_related = ["store"]
    actions = ["deactivate"]

    def has_delete_permission(self, request, obj=None):
        return False  # keys are deactivated, never deleted

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["store", "name"]
        return ["store", "name", "prefix", "active", "created_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["store", "prefix", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new key is issued by the service (which audits it); the admin then goes on with it.
        issued, raw_key = pos_api_key_issue(store=obj.store, name=obj.name, actor=request.user)
        obj.pk = issued.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            gettext("新密钥（前缀 %(prefix)s）只显示这一次，请立即复制给门店：%(key)s")
            % {"prefix": obj.prefix, "key": raw_key},
        )

    @admin.action(description=_("停用所选密钥"))
    def deactivate(self, request, queryset):
        count = pos_api_keys_deactivate(keys=queryset, actor=request.user)
        messages.success(request, gettext("已停用 %(count)d 个密钥。") % {"count": count})


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(ReadOnlyAdmin):
    """Read-only: what each POS call with a given key was answered, for support."""

    list_display = ["key", "store", "response_status", "created_at"]
    list_filter = ["response_status"]
    search_fields = ["key", "store__code"]
    list_select_related = ["store"]
    readonly_fields = [
        "store",
        "key",
        "fingerprint",
        "response_status",
        "response_body",
        "created_at",
    ]
