"""Callbacks (回访): HQ's and stores' callback plans, each store's worklist, the calls made and
what followed.

A `CallbackPlan` names its targets (a segment or a phone list), its script and channel, its dates
and the order of calling; activating it generates one `CallbackTask` per member (a chunked,
idempotent job, callbacks.services.generation), assigned to the member's bound guide or, where
there is none, to the store manager. Every call is a `CallbackAttempt`; the task's status moves
along `TASK_TRANSITIONS` only (callbacks.services.outcomes), with an audit row (INV-AUDIT). A
counted order within 60 days after a reached or successful call converts the task, credited once
(callbacks.services.conversion); the funnel (callbacks.selectors) counts it all.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models import (
    Member,
    Order,
    Product,
    Region,
    Segment,
    SingletonSettings,
    Store,
    TimeStampedModel,
)
from members.scope import scope_q, shared_or_scope_q
from members.transitions import Transitions
from messaging.sms import SmsTemplateValidator

MONEY = {"max_digits": 12, "decimal_places": 2}
# Conversion counts an order up to and including the 60th local day after the call (DOMAIN.md).
CONVERSION_DAYS = 60


class CallbackChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    WECOM = "wecom", _("企业微信")
    SMS = "sms", _("短信")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


PLAN_TRANSITIONS = Transitions(
    table={
        PlanStatus.DRAFT: frozenset({PlanStatus.ACTIVE, PlanStatus.CLOSED}),
        PlanStatus.ACTIVE: frozenset({PlanStatus.CLOSED}),
        PlanStatus.CLOSED: frozenset(),
    },
    statuses=PlanStatus,
    code="plan_illegal_transition",
    message=_("回访计划不能从“%(from)s”变为“%(to)s”。"),
)


class PlanTarget(models.TextChoices):
    SEGMENT = "segment", _("分组")
    PHONES = "phones", _("手机号名单")
    # The month's lifecycle plan: its tasks are added night by night by the lifecycle rules
    # (callbacks.services.lifecycle), never by the generation job.
    LIFECYCLE = "lifecycle", _("生命周期规则（系统每晚生成）")


# What a person may choose when making a plan (the lifecycle plan is the system's own).
HAND_MADE_TARGETS = [(value, label) for value, label in PlanTarget.choices if value != "lifecycle"]


class PriorityOrder(models.TextChoices):
    EASY_FIRST = "easy_first", _("先易后难：买过在促商品的优先，再按客户群")
    GROUP = "group", _("按客户群（重要价值在前）")


class ExclusionReason(models.TextChoices):
    """Why a targeted member got no task, in the order the reasons are checked (the first that
    applies is the one counted)."""

    OPTED_OUT = "opted_out", _("会员已拒收营销信息")
    CARE_WINDOW = "care_window", _("处于购后关怀期（15 天内买过）")
    COOLDOWN = "cooldown", _("冷却期内已被回访")
    OPEN_ELSEWHERE = "open_elsewhere", _("已在其他进行中的回访计划里")
    NO_ASSIGNEE = "no_assignee", _("门店没有可分配的导购或店长")


class CallbackPlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """HQ plans are seen by all staff (they hold no member data; each store sees only its own
        tasks of them); a store's own plans only within its scope."""
        return self.filter(shared_or_scope_q(user, store="store"))

    def active(self):
        return self.filter(status=PlanStatus.ACTIVE)


class CallbackPlan(TimeStampedModel):
    name = models.CharField(_("计划名称"), max_length=100)
    purpose = models.CharField(_("回访目的"), max_length=200)
    script = models.TextField(_("话术"), help_text=_("导购打电话时看到的话术。"))
    channel = models.CharField(
        _("回访方式"), max_length=10, choices=CallbackChannel, default=CallbackChannel.PHONE
    )
    # A store's own plan reaches only its members; an HQ plan (no store) the stores chosen below.
    store = models.ForeignKey(
        Store,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callback_plans",
        verbose_name=_("门店"),
        help_text=_("为空表示总部计划。"),
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="+",
        verbose_name=_("片区"),
        help_text=_("总部计划：只含这些片区的门店；片区和门店都不选表示全部门店。"),
    )
    stores = models.ManyToManyField(
        Store,
        blank=True,
        related_name="+",
        verbose_name=_("门店范围"),
        help_text=_("总部计划：只含这些门店（与片区取并集）。"),
    )
    target_kind = models.CharField(
        _("回访对象"), max_length=10, choices=PlanTarget, default=PlanTarget.SEGMENT
    )
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callback_plans",
        verbose_name=_("分组"),
    )
    # One normalised phone per line (validated when the plan is saved).
    phones = models.TextField(_("手机号名单"), blank=True, default="")
    starts_on = models.DateField(_("开始日期"))
    due_on = models.DateField(_("截止日期"))
    priority_order = models.CharField(
        _("回访顺序"), max_length=12, choices=PriorityOrder, default=PriorityOrder.EASY_FIRST
    )
    promoted_products = models.ManyToManyField(
        Product,
        blank=True,
        related_name="+",
        verbose_name=_("在促商品"),
        help_text=_("买过这些商品的会员最容易复购，先易后难时排在最前。"),
    )
    coupon_template = models.ForeignKey(
        "coupons.CouponTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callback_plans",
        verbose_name=_("可赠送的券"),
    )
    cooldown_days = models.PositiveSmallIntegerField(
        _("回访冷却天数"),
        default=14,
        help_text=_("N 天内在任何计划里被回访过的会员，本计划不再安排。"),
    )
    respect_care_window = models.BooleanField(
        _("避开购后关怀期"),
        default=True,
        help_text=_("购后 15 天内只做关怀，不做推销：这些会员不进入本计划。"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=PlanStatus, default=PlanStatus.DRAFT
    )
    # Written by the generation job, chunk by chunk, in the chunk's transaction.
    task_count = models.PositiveIntegerField(_("任务数"), default=0, editable=False)
    excluded = models.JSONField(_("排除人数"), default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    activated_at = models.DateTimeField(_("启动时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = CallbackPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("回访计划")
        verbose_name_plural = _("回访计划")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("starts_on")), name="plan_due_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(target_kind=PlanTarget.SEGMENT) | Q(segment__isnull=False),
                name="plan_segment_target_has_segment",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_known"
            ),
            # One lifecycle plan per month (starting on its first day), whatever re-runs.
            models.UniqueConstraint(
                fields=["starts_on"],
                condition=Q(target_kind=PlanTarget.LIFECYCLE),
                name="one_lifecycle_plan_per_month",
            ),
        ]
        indexes = [models.Index(fields=["status", "-starts_on"], name="plan_status_start")]

    def __str__(self):
        return self.name

    @property
    def is_hq(self) -> bool:
        return self.store_id is None


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("待回访")
    NOT_REACHED = "not_reached", _("未接通")
    REACHED = "reached", _("已接通")
    DECLINED = "declined", _("拒绝")
    SUCCESSFUL = "successful", _("回访成功")
    WRONG_NUMBER = "wrong_number", _("号码错误")


# The written transition table. A call that reaches nobody again leaves NOT_REACHED as it is (a
# no-op move; the attempt is still recorded); reached may end successful or declined later.
TASK_TRANSITIONS = Transitions(
    table={
        TaskStatus.PENDING: frozenset(
            {
                TaskStatus.NOT_REACHED,
                TaskStatus.REACHED,
                TaskStatus.DECLINED,
                TaskStatus.SUCCESSFUL,
                TaskStatus.WRONG_NUMBER,
            }
        ),
        TaskStatus.NOT_REACHED: frozenset(
            {
                TaskStatus.REACHED,
                TaskStatus.DECLINED,
                TaskStatus.SUCCESSFUL,
                TaskStatus.WRONG_NUMBER,
            }
        ),
        TaskStatus.REACHED: frozenset({TaskStatus.DECLINED, TaskStatus.SUCCESSFUL}),
        TaskStatus.DECLINED: frozenset(),
        TaskStatus.SUCCESSFUL: frozenset(),
        TaskStatus.WRONG_NUMBER: frozenset(),
    },
    statuses=TaskStatus,
    code="callback_illegal_transition",
    message=_("回访结果不能从“%(from)s”改为“%(to)s”。"),
)
OPEN_STATUSES = (TaskStatus.PENDING, TaskStatus.NOT_REACHED, TaskStatus.REACHED)
# The member answered: the call counts as reached in the funnel.
REACHED_STATUSES = (TaskStatus.REACHED, TaskStatus.DECLINED, TaskStatus.SUCCESSFUL)
# A call after which a purchase counts as the callback's conversion.
CONVERTING_STATUSES = (TaskStatus.REACHED, TaskStatus.SUCCESSFUL)


def overdue_q(*, on) -> Q:
    """Overdue (逾期): open tasks of active plans past their due date, still waiting for a call;
    the reminders and the funnel's count alike."""
    return Q(
        status__in=OPEN_STATUSES,
        plan__status=PlanStatus.ACTIVE,
        due_on__lt=on,
        next_call_on__isnull=False,
    )


class CallbackTaskQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Member-level rows, scoped like the member: HQ all; a region manager their region's; a
        store manager their store's members' tasks; a guide the tasks of members bound to them
        (whom their tasks are assigned to: callbacks.services.assignment). A member moved to
        another store takes the tasks out of the old store's sight."""
        return self.filter(scope_q(user, store="member__home_store", guide="member__guide"))

    def figures_visible_to(self, user):
        """For counts and sums only (the funnel): the tasks a store and its guides worked,
        by the store and assignee they were made for."""
        return self.filter(scope_q(user, store="store", guide="assignee"))

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def due(self, *, on):
        """Open tasks of active plans to call on or before local date `on` (the worklist)."""
        return self.open().filter(
            plan__status=PlanStatus.ACTIVE, plan__starts_on__lte=on, next_call_on__lte=on
        )

    def overdue(self, *, on):
        return self.filter(overdue_q(on=on))


class CallbackTask(TimeStampedModel):
    plan = models.ForeignKey(
        CallbackPlan, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("回访计划")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="callback_tasks", verbose_name=_("会员")
    )
    # The member's home store when the task was made: the store whose worklist and figures it is in.
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="callback_tasks", verbose_name=_("门店")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="callback_tasks",
        verbose_name=_("负责人"),
    )
    # Lower first: the plan's calling order, decided when the task is made.
    priority = models.PositiveIntegerField(_("优先级"), default=0)
    status = models.CharField(
        _("回访结果"), max_length=15, choices=TaskStatus, default=TaskStatus.PENDING
    )
    # The day to call next: the plan's start at first, then a retry or follow-up date; empty
    # once nothing more is to be done.
    next_call_on = models.DateField(_("下次回访日期"), null=True, blank=True)
    due_on = models.DateField(_("截止日期"))
    attempts = models.PositiveSmallIntegerField(_("回访次数"), default=0)
    last_called_at = models.DateTimeField(_("最近回访时间"), null=True, blank=True)
    # The latest call that reached the member (reached or successful), and the end of the
    # conversion window it opens (the end of its 60th local day after).
    reached_at = models.DateTimeField(_("最近接通时间"), null=True, blank=True)
    conversion_until = models.DateTimeField(_("转化截止"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True, default="")
    converted_order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="converted_callbacks",
        verbose_name=_("转化订单"),
    )
    converted_amount = models.DecimalField(_("转化金额"), null=True, blank=True, **MONEY)
    converted_at = models.DateTimeField(_("转化时间"), null=True, blank=True)

    objects = CallbackTaskQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("回访任务")
        verbose_name_plural = _("回访任务")
        constraints = [
            # One task per member and plan, whatever re-runs the generation job has.
            models.UniqueConstraint(fields=["plan", "member"], name="unique_callback_task"),
            # An order converts at most one callback (credited once).
            models.UniqueConstraint(
                fields=["converted_order"],
                condition=Q(converted_order__isnull=False),
                name="callback_order_credited_once",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="callback_status_known"
            ),
            models.CheckConstraint(
                condition=Q(converted_order__isnull=True) | Q(converted_amount__isnull=False),
                name="callback_conversion_has_amount",
            ),
        ]
        indexes = [
            # The guide's worklist: their open tasks by next call date.
            models.Index(fields=["assignee", "status", "next_call_on"], name="task_worklist"),
            # The store's progress and the funnel per plan, store and guide.
            models.Index(fields=["store", "plan", "assignee"], name="task_store_plan"),
            # Conversion: a member's callbacks that reached them, latest first; the cooldown.
            models.Index(fields=["member", "reached_at"], name="task_member_reached"),
            models.Index(fields=["member", "last_called_at"], name="task_member_called"),
            # The segment condition "called in the last N days" (callbacks.segment_conditions).
            models.Index(fields=["last_called_at"], name="task_last_called"),
        ]

    def __str__(self):
        return f"{self.plan_id}:{self.member_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CallbackAttemptQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(
            scope_q(user, store="task__member__home_store", guide="task__member__guide")
        )


class CallbackAttempt(models.Model):
    """One call (or message) and what came of it; append-only."""

    task = models.ForeignKey(
        CallbackTask, on_delete=models.CASCADE, related_name="attempts_made", verbose_name=_("任务")
    )
    outcome = models.CharField(_("结果"), max_length=15, choices=TaskStatus)
    note = models.TextField(_("备注"), blank=True, default="")
    follow_up_on = models.DateField(_("下次回访日期"), null=True, blank=True)
    called_at = models.DateTimeField(_("回访时间"))
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("回访人"),
    )

    objects = CallbackAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-called_at", "-id"]
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome=TaskStatus.PENDING), name="attempt_has_outcome"
            )
        ]

    def __str__(self):
        return f"{self.task_id} {self.outcome}"


# --- Lifecycle rules (生命周期规则) ---------------------------------------------------------------

# What a lifecycle SMS template may name: the member's name.
LIFECYCLE_PLACEHOLDERS = ("name",)


def lifecycle_script_default() -> str:
    return (
        "您好，我是您的专属导购。好久没见您来店里了，"
        "最近店里有适合您的新品和会员礼遇，想邀请您来看看……"
    )


def retention_sms_default() -> str:
    return (
        f"{settings.BRAND_SMS_SIGNATURE}{{name}}您好，感谢您一直以来的支持，本月会员礼遇已为您备好，"
        "欢迎到店体验。回复TD退订"
    )


def winback_sms_default() -> str:
    return (
        f"{settings.BRAND_SMS_SIGNATURE}{{name}}您好，好久不见，我们为您准备了回店专属优惠，"
        "期待您再次光临。回复TD退订"
    )


def _days(default: int, high: int, label, help_text):
    return models.PositiveSmallIntegerField(
        label,
        default=default,
        validators=[MinValueValidator(1), MaxValueValidator(high)],
        help_text=help_text,
    )


class LifecycleSettings(SingletonSettings):
    """HQ's lifecycle rules (one row), run every night after the regroup
    (callbacks.services.lifecycle): valuable members get a person, ordinary ones the system
    (DOMAIN.md); nobody inside the care window after a purchase is approached for selling."""

    personal_enabled = models.BooleanField(
        _("启用：重要保持 / 重要挽留会员由导购回访"),
        default=False,
        help_text=_(
            "每晚为最近没有回访过的重要保持、重要挽留会员生成回访任务，给其专属导购（无导购时给店长）。"
        ),
    )
    personal_quiet_days = _days(
        30, 365, _("多少天内没有回访过"), _("最近 N 天内在任何计划里被回访过的会员不再生成任务。")
    )
    personal_due_days = _days(7, 60, _("任务完成期限（天）"), _("任务生成后多少天内要回访。"))
    personal_script = models.TextField(
        _("回访话术"), default=lifecycle_script_default, help_text=_("导购打电话时看到的话术。")
    )
    automated_enabled = models.BooleanField(
        _("启用：一般保持 / 一般挽留会员自动发消息"),
        default=False,
        help_text=_("每晚给一般保持、一般挽留会员发自动短信（营销信息：拒收的会员不发）。"),
    )
    automated_interval_days = _days(
        30, 365, _("两次自动消息至少间隔（天）"), _("同一会员 N 天内最多收到一条自动消息。")
    )
    retention_sms_template = models.TextField(
        _("一般保持会员短信模板"),
        default=retention_sms_default,
        validators=[SmsTemplateValidator(placeholders=LIFECYCLE_PLACEHOLDERS)],
        help_text=_("可用的占位符：{name} 会员姓名。须以品牌签名开头或结尾，并含“回复TD退订”。"),
    )
    winback_sms_template = models.TextField(
        _("一般挽留会员短信模板"),
        default=winback_sms_default,
        validators=[SmsTemplateValidator(placeholders=LIFECYCLE_PLACEHOLDERS)],
        help_text=_("可用的占位符：{name} 会员姓名。须以品牌签名开头或结尾，并含“回复TD退订”。"),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("生命周期规则")
        verbose_name_plural = _("生命周期规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(personal_quiet_days__gte=1, personal_quiet_days__lte=365),
                name="lifecycle_quiet_days_range",
            ),
            models.CheckConstraint(
                condition=Q(personal_due_days__gte=1, personal_due_days__lte=60),
                name="lifecycle_due_days_range",
            ),
            models.CheckConstraint(
                condition=Q(automated_interval_days__gte=1, automated_interval_days__lte=365),
                name="lifecycle_interval_days_range",
            ),
        ]

    def __str__(self):
        return str(_("生命周期规则"))
