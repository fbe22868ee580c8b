"""The outbox: every message the system sends to a member or to a member of staff.

A job writes messages here (INSERT ... ON CONFLICT DO NOTHING) and a separate sender delivers
them (messaging.services). One message per recipient, kind and due date is a database
constraint, so a re-run of a job can never enqueue a second reminder (INV-NO-DUP-MESSAGE); the
sender re-checks the member's opt-out when it sends, so an opt-out takes effect at once.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models import Member, TimeStampedModel
from members.scope import scope_q
from members.transitions import Transitions


class MessageKind(models.TextChoices):
    # Other features add their kinds here.
    COUPON_EXPIRY = "coupon_expiry", _("优惠券到期提醒")
    # To a guide (staff, internal): how many of their callback tasks are overdue.
    CALLBACK_OVERDUE = "callback_overdue", _("回访任务逾期提醒")
    # To an ordinary retention / win-back member (SMS, marketing): the lifecycle rules' message.
    LIFECYCLE_MESSAGE = "lifecycle_message", _("生命周期自动消息")


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    WECOM = "wecom", _("企业微信")
    # Shown in the back office only (e.g. a guide's reminder list); nothing leaves the system.
    INTERNAL = "internal", _("站内消息")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    SKIPPED = "skipped", _("未发送（跳过）")
    FAILED = "failed", _("发送失败")


# The written transition table. A failed attempt below the limit leaves the message PENDING
# (attempts + 1) for a later run; the last allowed attempt moves it to FAILED.
TRANSITIONS = Transitions(
    table={
        OutboxStatus.PENDING: frozenset(
            {OutboxStatus.SENT, OutboxStatus.SKIPPED, OutboxStatus.FAILED}
        ),
        OutboxStatus.SENT: frozenset(),
        OutboxStatus.SKIPPED: frozenset(),
        OutboxStatus.FAILED: frozenset(),
    },
    statuses=OutboxStatus,
    code="outbox_illegal_transition",
    message=_("消息状态不能从“%(from)s”变为“%(to)s”。"),
)


class SkipReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("会员已拒收营销信息")


class OutboxMessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        """HQ sees every message; others the messages to members they may see (members.scope)
        and the messages addressed to themselves."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_hq:
            return self.all()
        to_members = scope_q(user, store="member__home_store", guide="member__guide")
        return self.filter(to_members | Q(staff=user))

    def pending(self):
        return self.filter(status=OutboxStatus.PENDING)

    def due(self, *, on):
        """Pending and due on or before the local date `on`."""
        return self.pending().filter(due_date__lte=on)


class OutboxMessage(TimeStampedModel):
    # Exactly one recipient: a member, or a member of staff. (The unique constraints below lead
    # with each, so the foreign keys need no index of their own.)
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="outbox_messages",
        verbose_name=_("会员"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="outbox_messages",
        verbose_name=_("员工"),
    )
    kind = models.CharField(_("消息类型"), max_length=40, choices=MessageKind)
    due_date = models.DateField(_("发送日期"), help_text=_("本地日期；当天或之后发送。"))
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel)
    # A marketing message is never sent to a member who opted out, re-checked when sending.
    marketing = models.BooleanField(_("营销信息"), default=True)
    body = models.TextField(_("内容"))
    # What the message is about, e.g. {"coupon_ids": [...]}.
    payload = models.JSONField(_("关联数据"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=OutboxStatus, default=OutboxStatus.PENDING
    )
    skip_reason = models.CharField(
        _("跳过原因"), max_length=20, choices=SkipReason, blank=True, default=""
    )
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True, default="")
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        constraints = [
            # INV-NO-DUP-MESSAGE: one message per recipient, kind and due date, whatever re-runs.
            models.UniqueConstraint(
                fields=["member", "kind", "due_date"],
                condition=Q(member__isnull=False),
                name="outbox_one_per_member_kind_day",
            ),
            models.UniqueConstraint(
                fields=["staff", "kind", "due_date"],
                condition=Q(staff__isnull=False),
                name="outbox_one_per_staff_kind_day",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False, staff__isnull=True)
                | Q(member__isnull=True, staff__isnull=False),
                name="outbox_one_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OutboxStatus.values), name="outbox_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.SENT) | Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.SKIPPED) | ~Q(skip_reason=""),
                name="outbox_skipped_has_reason",
            ),
        ]
        indexes = [
            # The sender's query: pending messages due by today, walked in id order. Partial, so
            # it stays as small as the queue however many sent messages the table holds.
            models.Index(
                fields=["due_date", "id"],
                condition=Q(status=OutboxStatus.PENDING),
                name="outbox_pending_due",
            ),
            # The admin list filtered by kind and status, newest first.
            models.Index(fields=["kind", "status", "-id"], name="outbox_kind_status"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.due_date} #{self.pk}"
