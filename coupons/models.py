"""Coupons (优惠券): templates HQ designs, batches that issue them, the coupons members hold,
and their redemptions at the POS.

The kind (无门槛/有门槛 × 大/小面额) is derived from the minimum spend and HQ's large/small
cut-off (`coupon_kind`), stored on the template so lists, filters and reports use it as a plain
column; changing the cut-off re-derives every template's kind (coupons.services).

A coupon's status changes only along `TRANSITIONS`; INV-COUPON-ONCE is backed by a partial unique
constraint: at most one live (not reversed) redemption per coupon.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from jobs.dates import local_day_start
from members.models import (
    Member,
    Order,
    Product,
    Region,
    SingletonSettings,
    Store,
    StoreGroup,
    TimeStampedModel,
)
from members.models.core import OperatingModel
from members.scope import scope_q
from members.transitions import Transitions
from messaging.sms import SmsTemplateValidator

ZERO = Decimal("0.00")
MONEY = {"max_digits": 12, "decimal_places": 2}


# --- Settings -----------------------------------------------------------------------------------

# What an expiry reminder's SMS template may say about the member's coupons (coupons.services.
# reminders fills them in): the member's name, how many coupons, their total face value in yuan
# and the earliest day one of them expires.
REMINDER_PLACEHOLDERS = ("name", "count", "face_total", "valid_until")


def reminder_sms_template_default() -> str:
    return (
        f"{settings.BRAND_SMS_SIGNATURE}{{name}}您好，您有{{count}}张优惠券（共{{face_total}}元）"
        "将于{valid_until}到期，欢迎到店使用。回复TD退订"
    )


class CouponSettings(SingletonSettings):
    """HQ's coupon settings (one row)."""

    large_face_value_from = models.DecimalField(
        _("大面额起点（元）"),
        default=Decimal("50.00"),
        help_text=_("面额不低于此值为大面额，低于此值为小面额。"),
        **MONEY,
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("到期前几天提醒"), default=3, help_text=_("券到期前多少天给会员发提醒。")
    )
    reminder_sms_template = models.TextField(
        _("到期提醒短信模板"),
        default=reminder_sms_template_default,
        validators=[SmsTemplateValidator(placeholders=REMINDER_PLACEHOLDERS)],
        help_text=_(
            "可用的占位符：{name} 会员姓名，{count} 券张数，{face_total} 合计面额（元），"
            "{valid_until} 最早到期日。须以品牌签名开头或结尾，并含“回复TD退订”。"
        ),
    )
    guide_monthly_allowance = models.PositiveIntegerField(
        _("导购每月可发券数（默认）"),
        default=30,
        help_text=_("每家门店的导购每月合计可单独发放的券数；可按门店单独设置。"),
    )
    birthday_template = models.ForeignKey(
        "CouponTemplate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("生日券模板"),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("优惠券设置")
        verbose_name_plural = _("优惠券设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(large_face_value_from__gt=0), name="coupon_large_cutoff_positive"
            ),
            models.CheckConstraint(
                condition=Q(reminder_days_before__gte=1, reminder_days_before__lte=60),
                name="coupon_reminder_days_range",
            ),
        ]

    def __str__(self):
        return str(_("优惠券设置"))


class StoreCouponAllowance(TimeStampedModel):
    """A store's own monthly allowance of coupons its guides may issue one by one."""

    store = models.OneToOneField(
        Store, on_delete=models.CASCADE, related_name="coupon_allowance", verbose_name=_("门店")
    )
    monthly_count = models.PositiveIntegerField(_("每月可发券数"))

    class Meta:
        ordering = ["store__code"]
        verbose_name = _("门店发券额度")
        verbose_name_plural = _("门店发券额度")

    def __str__(self):
        return f"{self.store}: {self.monthly_count}"


# --- Templates ----------------------------------------------------------------------------------


class CouponKind(models.TextChoices):
    NO_THRESHOLD_LARGE = "no_threshold_large", _("无门槛大面额")
    NO_THRESHOLD_SMALL = "no_threshold_small", _("无门槛小面额")
    THRESHOLD_LARGE = "threshold_large", _("有门槛大面额")
    THRESHOLD_SMALL = "threshold_small", _("有门槛小面额")


def coupon_kind(*, face_value: Decimal, min_spend: Decimal, large_from: Decimal) -> str:
    """The one rule for a coupon's kind: threshold or not (min spend 0), large or small."""
    large = face_value >= large_from
    if min_spend == 0:
        return CouponKind.NO_THRESHOLD_LARGE if large else CouponKind.NO_THRESHOLD_SMALL
    return CouponKind.THRESHOLD_LARGE if large else CouponKind.THRESHOLD_SMALL


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("启用")
    CLOSED = "closed", _("已停用")


class ValidityKind(models.TextChoices):
    FIXED = "fixed", _("固定日期")
    RELATIVE = "relative", _("领券后 N 天")


class LimitPeriod(models.TextChoices):
    """What the per-member limit counts: every coupon of the template ever issued to the member,
    or only those issued in the current calendar year or month (a birthday coupon, once a year)."""

    EVER = "ever", _("不分周期")
    YEAR = "year", _("每自然年")
    MONTH = "month", _("每自然月")


LIMIT_PHRASES = {
    LimitPeriod.EVER: _("每人限领 %(limit)s 张"),
    LimitPeriod.YEAR: _("每人每年限领 %(limit)s 张"),
    LimitPeriod.MONTH: _("每人每月限领 %(limit)s 张"),
}


class UsableIn(models.TextChoices):
    ALL = "all", _("全部门店")
    REGIONS = "regions", _("指定片区")
    STORE_GROUPS = "store_groups", _("指定店群")
    OPERATING_MODELS = "operating_models", _("指定经营模式")
    STORES = "stores", _("指定门店")


class CouponTemplateQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=TemplateStatus.ACTIVE)

    def easy_first(self):
        """先易后难: the easiest repurchase first (lower ease rank)."""
        return self.order_by("ease_rank", "pk")


class CouponTemplate(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=100)
    face_value = models.DecimalField(_("面额（元）"), **MONEY)
    min_spend = models.DecimalField(
        _("最低消费（元）"), default=ZERO, help_text=_("0 表示无门槛。"), **MONEY
    )
    kind = models.CharField(_("券类型"), max_length=20, choices=CouponKind, editable=False)
    ease_rank = models.PositiveSmallIntegerField(
        _("复购难易度"),
        default=3,
        help_text=_("1 最容易复购；发券与回访按先易后难排序。"),
    )
    # Validity: fixed dates, or N days from the day of issue (the issue day counts as day 1).
    validity = models.CharField(
        _("有效期方式"), max_length=10, choices=ValidityKind, default=ValidityKind.RELATIVE
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("有效天数"), null=True, blank=True)
    # Where usable.
    usable_in = models.CharField(
        _("适用门店"), max_length=20, choices=UsableIn, default=UsableIn.ALL
    )
    regions = models.ManyToManyField(Region, blank=True, related_name="+", verbose_name=_("片区"))
    store_groups = models.ManyToManyField(
        StoreGroup, blank=True, related_name="+", verbose_name=_("店群")
    )
    operating_models = models.JSONField(
        _("经营模式"), default=list, blank=True, help_text=_("取值见门店经营模式。")
    )
    stores = models.ManyToManyField(Store, blank=True, related_name="+", verbose_name=_("门店"))
    # What it may be used on; nothing chosen means the whole basket.
    products = models.ManyToManyField(
        Product, blank=True, related_name="+", verbose_name=_("适用商品")
    )
    series = models.JSONField(_("适用系列"), default=list, blank=True)
    categories = models.JSONField(_("适用品类"), default=list, blank=True)
    # Limits.
    per_member_limit = models.PositiveSmallIntegerField(_("每人限领"), default=1)
    limit_period = models.CharField(
        _("限领周期"),
        max_length=10,
        choices=LimitPeriod,
        default=LimitPeriod.EVER,
        help_text=_("每年发一次的券（如生日券）选“每自然年”，限领只数当年发的券。"),
    )
    total_quota = models.PositiveIntegerField(
        _("发放总量"), null=True, blank=True, help_text=_("留空表示不限。")
    )
    budget = models.DecimalField(
        _("预算（元）"), null=True, blank=True, help_text=_("按面额计；留空表示不限。"), **MONEY
    )
    # Kept under the template's row lock by every issuing path: quota and budget read it.
    issued_count = models.PositiveIntegerField(_("已发放"), default=0, editable=False)
    # Store staff may hand this template out one coupon at a time, within the store's allowance.
    guide_may_issue = models.BooleanField(
        _("导购可单发"),
        default=False,
        help_text=_("勾选后，店长和导购可在门店后台给单个会员发放此券（计入门店每月发券额度）。"),
    )
    reusable_after_refund = models.BooleanField(
        _("退款后券可再用"),
        default=True,
        help_text=_("用券订单退款时，券是否退回会员账户（仍在有效期内才可再用）。"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=TemplateStatus, default=TemplateStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )

    objects = CouponTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["ease_rank", "-id"]
        verbose_name = _("优惠券模板")
        verbose_name_plural = _("优惠券模板")
        constraints = [
            models.CheckConstraint(condition=Q(face_value__gt=0), name="coupon_face_positive"),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="coupon_min_spend_ge0"),
            models.CheckConstraint(
                condition=Q(min_spend=0) | Q(min_spend__gt=models.F("face_value")),
                name="coupon_threshold_above_face",
            ),
            models.CheckConstraint(
                condition=Q(ease_rank__gte=1, ease_rank__lte=9), name="coupon_ease_rank_range"
            ),
            models.CheckConstraint(
                condition=Q(per_member_limit__gte=1), name="coupon_per_member_limit_ge1"
            ),
            models.CheckConstraint(
                condition=Q(limit_period__in=LimitPeriod.values), name="coupon_limit_period_known"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        validity=ValidityKind.FIXED,
                        valid_from__isnull=False,
                        valid_until__isnull=False,
                        valid_until__gte=models.F("valid_from"),
                    )
                    | Q(validity=ValidityKind.RELATIVE, valid_days__gte=1)
                ),
                name="coupon_validity_complete",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def has_threshold(self) -> bool:
        return self.min_spend > 0

    def limit_counted_since(self, on: date) -> date | None:
        """The first local day whose issued coupons count toward the per-member limit on `on`
        (None: every coupon ever issued counts)."""
        if self.limit_period == LimitPeriod.YEAR:
            return on.replace(month=1, day=1)
        if self.limit_period == LimitPeriod.MONTH:
            return on.replace(day=1)
        return None

    def limit_description(self) -> str:
        return str(LIMIT_PHRASES[self.limit_period] % {"limit": self.per_member_limit})


class WelcomePackItem(models.Model):
    """One coupon of the welcome pack (开卡礼) every new member gets; three by default."""

    template = models.OneToOneField(
        CouponTemplate,
        on_delete=models.CASCADE,
        related_name="welcome_pack_item",
        verbose_name=_("模板"),
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("开卡礼券")
        verbose_name_plural = _("开卡礼券")

    def __str__(self):
        return f"{self.position}. {self.template}"


# --- Batches ------------------------------------------------------------------------------------


class BatchSource(models.TextChoices):
    SEGMENT = "segment", _("分组")
    PHONES = "phones", _("手机号名单")
    SINGLE = "single", _("导购单发")
    WELCOME = "welcome", _("开卡礼")
    BIRTHDAY = "birthday", _("生日券")


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("发放中")
    FINISHED = "finished", _("已完成")
    FAILED = "failed", _("失败")


class IssueBatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A store's batches are its own; an HQ batch (no store) is also seen by the stores whose
        members it reached, which see only their own share of it. Guides see none."""
        if user is not None and getattr(user, "is_guide", False):
            return self.none()
        own = scope_q(user, store="store")
        if not own:  # HQ
            return self.filter(own)
        reached = Coupon.objects.visible_to(user).values("batch_id")
        return self.filter(own | Q(store__isnull=True, pk__in=reached))


class IssueBatch(TimeStampedModel):
    """One issuing of one template to a set of members: a Celery job with progress."""

    template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="batches", verbose_name=_("模板")
    )
    source = models.CharField(_("来源"), max_length=10, choices=BatchSource)
    # Null for HQ batches; a store's batch issues only to that store's members.
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coupon_batches",
        verbose_name=_("门店"),
    )
    segment = models.ForeignKey(
        "members.Segment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coupon_batches",
        verbose_name=_("分组"),
    )
    # Pasted phones (normalised, one per line) for a phone-list batch.
    phones = models.TextField(_("手机号名单"), blank=True, default="")
    # Welcome and birthday batches are keyed ("welcome:<template>:2026-11-02",
    # "birthday:<template>:2026-11"), so a re-run finds the batch instead of making a second one.
    key = models.CharField(_("批次键"), max_length=64, null=True, blank=True, unique=True)
    # The day a keyed batch is about: the joining date of a welcome-pack batch, the first day of
    # the birthday month of a birthday batch.
    target_on = models.DateField(_("目标日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchStatus, default=BatchStatus.QUEUED
    )
    target_count = models.PositiveIntegerField(_("目标人数"), default=0)
    issued_count = models.PositiveIntegerField(_("已发放"), default=0)
    # Members not issued to, by reason: {"quota": n, "budget": n, "per_member_limit": n, ...}.
    skipped = models.JSONField(_("未发放（按原因）"), default=dict, blank=True)
    # Bad lines of a phone list: [{"line": 3, "value": "...", "reason": "..."}].
    rejected = models.JSONField(_("无效手机号"), default=list, blank=True)
    error = models.TextField(_("错误"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发起人"),
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = IssueBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("发券批次")
        verbose_name_plural = _("发券批次")
        indexes = [
            # The store's batch list (portal), newest first.
            models.Index(fields=["store", "-created_at"], name="batch_store_created"),
        ]

    def __str__(self):
        return f"{self.template} #{self.pk}"


# --- Coupons ------------------------------------------------------------------------------------


class CouponStatus(models.TextChoices):
    ISSUED = "issued", _("未使用")
    REDEEMED = "redeemed", _("已核销")
    EXPIRED = "expired", _("已过期")
    VOIDED = "voided", _("已作废")


# The written transition table: the only moves a coupon's status may make. A refund reverses a
# redemption back to ISSUED when the template allows reuse, to VOIDED otherwise.
TRANSITIONS = Transitions(
    table={
        CouponStatus.ISSUED: frozenset(
            {CouponStatus.REDEEMED, CouponStatus.EXPIRED, CouponStatus.VOIDED}
        ),
        CouponStatus.REDEEMED: frozenset({CouponStatus.ISSUED, CouponStatus.VOIDED}),
        CouponStatus.EXPIRED: frozenset(),
        CouponStatus.VOIDED: frozenset(),
    },
    statuses=CouponStatus,
    code="illegal_transition",
    message=_("优惠券状态不能从“%(from)s”变为“%(to)s”。"),
)


def compact_code(raw: str) -> str:
    """'c0001 2345' -> 'C00012345': tills print codes in groups and cashiers type any case."""
    return "".join(str(raw or "").split()).upper()


class CouponQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A coupon is its holder's: scoped like the member (home store, bound guide)."""
        return self.filter(scope_q(user, store="member__home_store", guide="member__guide"))

    def unused(self):
        return self.filter(status=CouponStatus.ISSUED)

    def redeemable(self, *, on):
        """Unused and valid on the local date `on`."""
        return self.unused().filter(valid_from__lte=on, valid_until__gte=on)

    def expiring_within(self, *, days: int, today):
        """Unused coupons whose last valid day is today or one of the next `days - 1` days."""
        return self.expiring_between(today, today + timedelta(days=days - 1))

    def expiring_between(self, start, end):
        return self.unused().filter(valid_until__gte=start, valid_until__lte=end)

    def counting_toward_limit(self, template: "CouponTemplate", *, on: date):
        """The coupons of `template`, in any status, that count toward its per-member limit on
        the local date `on` (CouponTemplate.limit_period)."""
        coupons = self.filter(template_id=template.pk)
        since = template.limit_counted_since(on)
        return coupons if since is None else coupons.filter(issued_at__gte=local_day_start(since))

    def with_code(self, code: str):
        """The coupon a till typed or scanned: spaces dropped, case ignored (see `compact_code`)."""
        return self.alias(code_upper=Upper("code")).filter(code_upper=compact_code(code))


class Coupon(models.Model):
    # What the member shows at the till (printed, or in the mini program); unguessable.
    code = models.CharField(_("券码"), max_length=20, unique=True)
    template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("模板")
    )
    batch = models.ForeignKey(
        IssueBatch, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("批次")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("会员")
    )
    # The member's home store when issued: coupon ROI per store counts issues here.
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("发放门店")
    )
    face_value = models.DecimalField(_("面额（元）"), **MONEY)
    min_spend = models.DecimalField(_("最低消费（元）"), **MONEY)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("失效日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=CouponStatus, default=CouponStatus.ISSUED
    )
    issued_at = models.DateTimeField(_("发放时间"))
    # The day the expiry reminder went into the outbox; a coupon is reminded at most once.
    reminded_on = models.DateField(_("提醒日期"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)

    objects = CouponQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("优惠券")
        verbose_name_plural = _("优惠券")
        constraints = [
            # A batch issues at most one coupon to a member: re-running a batch never issues twice.
            models.UniqueConstraint(
                fields=["batch", "member"], name="unique_coupon_per_batch_member"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="coupon_valid_range"
            ),
            # A code is one coupon whatever its case: the till's lookup (`with_code`) uses it.
            models.UniqueConstraint(Upper("code"), name="unique_coupon_code_any_case"),
        ]
        indexes = [
            # The member's coupons (card, API, per-member limit check).
            models.Index(fields=["member", "template"], name="coupon_member_template"),
            # Nightly expiry and reminders: unused coupons by end of validity.
            models.Index(fields=["status", "valid_until"], name="coupon_status_until"),
            # ROI per store and month; the store's expiring-soon list.
            models.Index(fields=["store", "issued_at"], name="coupon_store_issued"),
            models.Index(
                fields=["store", "status", "valid_until"], name="coupon_store_status_until"
            ),
            models.Index(fields=["template", "status"], name="coupon_template_status"),
        ]

    def __str__(self):
        return self.code

    @property
    def kind(self) -> str:
        return self.template.kind


class RedemptionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(
            scope_q(user, store="coupon__member__home_store", guide="coupon__member__guide")
        )

    def live(self):
        return self.filter(reversed_at__isnull=True)


class Redemption(models.Model):
    """A coupon used on an order at a store's till; reversed (at most once) by a refund."""

    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("优惠券")
    )
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("核销门店")
    )
    order_no = models.CharField(_("订单号"), max_length=64)
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions",
        verbose_name=_("订单"),
    )
    guide = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("导购"),
    )
    # The basket the coupon was used on, and the coupon's face value at that moment (ROI).
    order_amount = models.DecimalField(_("订单金额"), **MONEY)
    discount = models.DecimalField(_("抵扣金额"), **MONEY)
    redeemed_at = models.DateTimeField(_("核销时间"))
    reversed_at = models.DateTimeField(_("冲正时间"), null=True, blank=True)
    reversal_refund_no = models.CharField(_("冲正退款单号"), max_length=64, blank=True, default="")

    objects = RedemptionQuerySet.as_manager()

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        verbose_name = _("核销记录")
        verbose_name_plural = _("核销记录")
        constraints = [
            # INV-COUPON-ONCE: at most one live redemption per coupon, whatever the concurrency.
            models.UniqueConstraint(
                fields=["coupon"],
                condition=Q(reversed_at__isnull=True),
                name="one_live_redemption_per_coupon",
            ),
            models.CheckConstraint(condition=Q(discount__gt=0), name="redemption_discount_pos"),
            models.CheckConstraint(
                condition=Q(order_amount__gte=0), name="redemption_order_amount_ge0"
            ),
        ]
        indexes = [
            # ROI per redeeming store and month.
            models.Index(fields=["store", "redeemed_at"], name="redemption_store_at"),
            # Reversal looks up the live redemption of an order.
            models.Index(fields=["store", "order_no"], name="redemption_store_order"),
        ]

    def __str__(self):
        return f"{self.coupon_id}@{self.order_no}"


__all__ = [
    "TRANSITIONS",
    "BatchSource",
    "BatchStatus",
    "Coupon",
    "CouponKind",
    "CouponQuerySet",
    "CouponSettings",
    "CouponStatus",
    "CouponTemplate",
    "IssueBatch",
    "OperatingModel",
    "REMINDER_PLACEHOLDERS",
    "Redemption",
    "StoreCouponAllowance",
    "TemplateStatus",
    "UsableIn",
    "ValidityKind",
    "WelcomePackItem",
    "coupon_kind",
]
