"""HQ admin for the lifecycle rules (one row: the list opens it; never added twice nor deleted).
Registered from CallbacksConfig.ready(), apart from the callback pages' admin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.admin_base import SingletonSettingsAdmin

from .models import LifecycleSettings


@admin.register(LifecycleSettings)
class LifecycleSettingsAdmin(SingletonSettingsAdmin):
    fieldsets = [
        (
            _("重要保持 / 重要挽留：导购回访"),
            {
                "fields": [
                    "personal_enabled",
                    ("personal_quiet_days", "personal_due_days"),
                    "personal_script",
                ]
            },
        ),
        (
            _("一般保持 / 一般挽留：自动短信"),
            {
                "fields": [
                    "automated_enabled",
                    "automated_interval_days",
                    "retention_sms_template",
                    "winback_sms_template",
                ]
            },
        ),
    ]
