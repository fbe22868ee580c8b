"""HQ admin for the outbox: read-only (messages are written by jobs and sent by the sender)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from members.admin_base import ReadOnlyAdmin
from members.phones import mask_phone

from .models import OutboxMessage

ERROR_SHOWN = 60


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "channel",
        "recipient",
        "due_date",
        "status",
        "skip_reason",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind", "channel", "marketing", "due_date"]
    list_select_related = ["member", "staff"]
    fields = [
        ("kind", "channel", "marketing"),
        ("recipient", "due_date"),
        ("status", "skip_reason", "attempts"),
        ("sent_at", "created_at"),
        "body",
        "payload",
        "last_error",
    ]
    readonly_fields = ["recipient", "created_at"]

    @display(description=_("收件人"))
    def recipient(self, message):
        """Masked: the outbox list is no way round the phone-reveal log."""
        if message.member_id:
            return f"{message.member.name} {mask_phone(message.member.phone)}"
        return str(message.staff)

    @display(description=_("错误"))
    def short_error(self, message):
        return message.last_error[:ERROR_SHOWN] if message.last_error else "—"
