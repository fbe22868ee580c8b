"""Stores and their organisation, staff, members, products and orders."""

import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Coalesce, Right, Round, Upper
from django.utils.translation import gettext_lazy as _

from ..scope import scope_q, shared_or_scope_q
from ..transitions import Transitions

ZERO = Decimal("0.00")


def money_total(expression) -> models.Expression:
    """The sum of a money column in yuan, rounded to the cent, 0.00 over no rows. The rounding
    matters on SQLite (the demo), which sums decimals as floats: 330000.000000002 otherwise."""
    money = models.DecimalField(max_digits=16, decimal_places=2)
    return Round(Coalesce(models.Sum(expression), ZERO), 2, output_field=money)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class SingletonSettings(TimeStampedModel):
    """HQ's settings of one kind: one row, created by a data migration and edited in the admin.

    `current()` only reads, so a GET never writes; without the row (a test database flushed
    between tests) it answers the defaults, and saving that instance creates the row.
    """

    class Meta:
        abstract = True

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls()


# --- Organisation -------------------------------------------------------------------------------


class Region(TimeStampedModel):
    name = models.CharField(_("片区"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("片区")
        verbose_name_plural = _("片区")

    def __str__(self):
        return self.name


class StoreGroup(TimeStampedModel):
    name = models.CharField(_("店群"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("店群")
        verbose_name_plural = _("店群")

    def __str__(self):
        return self.name


class OperatingModel(models.TextChoices):
    FRANCHISE = "franchise", _("加盟")
    DIRECT = "direct", _("直营")
    MANAGED = "managed", _("托管")


class StoreQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_q(user, store=""))

    def active(self):
        return self.filter(active=True)


class Store(TimeStampedModel):
    code = models.CharField(_("门店编码"), max_length=32, unique=True)
    name = models.CharField(_("门店名称"), max_length=100)
    operating_model = models.CharField(
        _("经营模式"), max_length=16, choices=OperatingModel, default=OperatingModel.FRANCHISE
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="stores", verbose_name=_("片区")
    )
    store_group = models.ForeignKey(
        StoreGroup,
        on_delete=models.PROTECT,
        related_name="stores",
        null=True,
        blank=True,
        verbose_name=_("店群"),
    )
    active = models.BooleanField(_("营业中"), default=True)

    objects = StoreQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("门店")
        verbose_name_plural = _("门店")

    def __str__(self):
        return f"{self.code} {self.name}"


# --- Staff --------------------------------------------------------------------------------------


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("总部管理员")
    HQ_OPERATOR = "hq_operator", _("总部运营")
    REGION_MANAGER = "region_manager", _("片区经理")
    STORE_MANAGER = "store_manager", _("店长")
    GUIDE = "guide", _("导购")


HQ_ROLES = (Role.HQ_ADMIN, Role.HQ_OPERATOR)
STORE_ROLES = (Role.STORE_MANAGER, Role.GUIDE)


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_q(user, store="store", guide=""))

    def guides(self):
        return self.filter(role=Role.GUIDE, is_active=True)

    def store_staff(self, store_id):
        """A store's guides and managers, managers first (whom its work can be handed to)."""
        staff = self.filter(store_id=store_id, role__in=[Role.GUIDE, Role.STORE_MANAGER])
        return staff.order_by("role", "first_name", "username")


class StaffManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A member of staff. The role decides what they see (see members.scope)."""

    role = models.CharField(_("角色"), max_length=20, choices=Role, blank=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managers",
        verbose_name=_("片区"),
    )
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("门店"),
    )
    guide_code = models.CharField(
        _("导购编码"),
        max_length=32,
        null=True,
        blank=True,
        unique=True,
        help_text=_("POS 与导入文件用它识别导购。"),
    )

    objects = StaffManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=STORE_ROLES) | Q(store__isnull=False),
                name="store_staff_have_store",
                violation_error_message=_("店长和导购必须属于一家门店。"),
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.REGION_MANAGER) | Q(region__isnull=False),
                name="region_manager_has_region",
                violation_error_message=_("片区经理必须指定片区。"),
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.GUIDE) | Q(guide_code__isnull=False),
                name="guide_has_code",
                violation_error_message=_("导购必须有导购编码。"),
            ),
        ]

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username

    @property
    def is_hq(self) -> bool:
        return self.is_superuser or self.role in HQ_ROLES

    @property
    def is_region_manager(self) -> bool:
        return self.role == Role.REGION_MANAGER

    @property
    def is_store_manager(self) -> bool:
        return self.role == Role.STORE_MANAGER

    @property
    def is_guide(self) -> bool:
        return self.role == Role.GUIDE

    @property
    def is_store_staff(self) -> bool:
        return not self.is_hq and self.role in STORE_ROLES

    @property
    def own_store(self):
        """The store the rows this user creates belong to: none for HQ (brand-wide), their own
        store for store staff. Never a store named in a request."""
        return None if self.is_hq else self.store


# --- Members ------------------------------------------------------------------------------------


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "", _("未知")


class Source(models.TextChoices):
    GROUND = "ground", _("地推")
    IN_STORE = "in_store", _("到店")
    REFERRAL = "referral", _("老带新")
    LIVESTREAM = "livestream", _("直播")
    PARCEL_CARD = "parcel_card", _("包裹卡")
    MINI_PROGRAM = "mini_program", _("小程序")
    IMPORT = "import", _("导入")


class Level(models.IntegerChoices):
    REGULAR = 1, _("普通会员")
    SILVER = 2, _("银卡")
    GOLD = 3, _("金卡")
    DIAMOND = 4, _("钻石卡")


class TagFamily(models.TextChoices):
    DEMOGRAPHIC = "demographic", _("人口学")
    CONSUMPTION = "consumption", _("消费统计")
    ATTRIBUTE = "attribute", _("会员属性")
    BEHAVIOUR = "behaviour", _("行为偏好")


class TagQuerySet(models.QuerySet):
    def visible_to(self, user):
        """HQ tags are seen by all staff; a store's own tags only within that store's scope."""
        return self.filter(shared_or_scope_q(user, store="store"))

    def usable_on(self, member):
        """Tags that may go on this member: HQ tags and the member's own store's tags."""
        return self.filter(Q(store__isnull=True) | Q(store=member.home_store_id))

    def by_rule(self):
        """HQ rule tags: recomputed nightly from their segment's rule."""
        return self.filter(rule_segment__isnull=False)

    def by_hand(self):
        return self.filter(rule_segment__isnull=True)


class Tag(TimeStampedModel):
    name = models.CharField(_("标签"), max_length=50)
    family = models.CharField(_("标签类别"), max_length=16, choices=TagFamily)
    store = models.ForeignKey(
        Store,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tags",
        verbose_name=_("门店"),
        help_text=_("为空表示总部标签。"),
    )
    # An HQ rule tag: members matching the segment's rule get the tag, recomputed nightly.
    rule_segment = models.ForeignKey(
        "members.Segment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rule_tags",
        verbose_name=_("规则（分组）"),
        help_text=_("设置后为规则标签：每晚按该分组的规则重新计算，不能手工打标。"),
    )
    recomputed_at = models.DateTimeField(_("最近计算时间"), null=True, blank=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["family", "name"]
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(store__isnull=True), name="unique_hq_tag_name"
            ),
            models.UniqueConstraint(fields=["store", "name"], name="unique_store_tag_name"),
        ]

    def __str__(self):
        return self.name


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_q(user, store="home_store", guide="guide"))

    def search(self, term: str):
        """By phone tail (4 digits), full phone (11 digits) or name."""
        term = (term or "").strip()
        if not term:
            return self
        if term.isdigit() and len(term) == 4:
            return self.filter(phone_tail=term)
        if term.isdigit():
            return (
                self.filter(phone__startswith=term) if len(term) < 11 else self.filter(phone=term)
            )
        return self.filter(name__icontains=term)

    def birthday_in(self, month: int):
        return self.filter(birthday__month=month)


class Member(TimeStampedModel):
    phone = models.CharField(_("手机号"), max_length=11, unique=True)
    # The last four digits, stored so that "search by phone tail" uses an index.
    phone_tail = models.GeneratedField(
        expression=Right("phone", 4),
        output_field=models.CharField(max_length=4),
        db_persist=True,
    )
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender, blank=True, default="")
    birthday = models.DateField(_("生日"), null=True, blank=True)
    joined_at = models.DateField(_("开卡日期"))
    home_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="members", verbose_name=_("归属门店")
    )
    guide = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("专属导购"),
    )
    source = models.CharField(_("招募来源"), max_length=16, choices=Source, default=Source.IMPORT)
    referrer = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("推荐人"),
    )
    level = models.PositiveSmallIntegerField(_("等级"), choices=Level, default=Level.REGULAR)
    points = models.IntegerField(_("积分"), default=0)
    marketing_opt_out = models.BooleanField(_("拒收营销"), default=False)
    tags = models.ManyToManyField(
        Tag, through="MemberTag", related_name="members", blank=True, verbose_name=_("标签")
    )

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("会员")
        verbose_name_plural = _("会员")
        # Exports of member lists need their own permission (INVARIANTS, personal data).
        permissions = [("export_member", _("可导出会员名单"))]
        indexes = [
            # The store's member list, filtered by guide (portal, API).
            models.Index(fields=["home_store", "guide"], name="member_store_guide"),
            # Search by phone tail within a store.
            models.Index(fields=["home_store", "phone_tail"], name="member_store_phone_tail"),
            models.Index(fields=["phone_tail"], name="member_phone_tail"),
            # A guide's own list.
            models.Index(fields=["guide", "home_store"], name="member_guide_store"),
            # Filter by recruitment source and by joining date (recruitment reports).
            models.Index(fields=["home_store", "source"], name="member_store_source"),
            models.Index(fields=["home_store", "joined_at"], name="member_store_joined"),
            # Search by name (MemberQuerySet.search): icontains is UPPER(name) LIKE UPPER('%x%')
            # on Postgres, which this trigram index serves for terms of three characters or
            # more. Postgres only: migration 0009 skips it on other databases.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="member_name_trgm"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0), name="member_points_not_negative"),
            models.CheckConstraint(
                condition=Q(phone__regex=r"^1[3-9][0-9]{9}$"), name="member_phone_mainland_mobile"
            ),
        ]

    def __str__(self):
        return self.name


class MemberTag(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="member_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="member_tags")
    tagged_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tag__name"]
        verbose_name = _("会员标签")
        verbose_name_plural = _("会员标签")
        constraints = [models.UniqueConstraint(fields=["member", "tag"], name="unique_member_tag")]
        indexes = [models.Index(fields=["tag", "member"], name="membertag_tag_member")]

    def __str__(self):
        return f"{self.member_id}:{self.tag_id}"


class OwnershipChangeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_q(user, store="member__home_store", guide="member__guide"))


class OwnershipChange(models.Model):
    """One re-binding of a member to another guide or store: who, when, from, to and why."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="ownership_changes", verbose_name=_("会员")
    )
    from_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("原门店")
    )
    to_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("新门店")
    )
    from_guide = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("原导购"),
    )
    to_guide = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("新导购"),
    )
    reason = models.CharField(_("原因"), max_length=200)
    changed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("操作人")
    )
    changed_at = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = OwnershipChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("会员归属变更")
        verbose_name_plural = _("会员归属变更")
        indexes = [models.Index(fields=["member", "changed_at"], name="ownership_member_at")]

    def __str__(self):
        return f"{self.member_id} {self.from_store_id}->{self.to_store_id}"


# --- Products and orders ------------------------------------------------------------------------


class Product(TimeStampedModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("商品名称"), max_length=100)
    series = models.CharField(_("系列"), max_length=50, blank=True, db_index=True)
    category = models.CharField(_("品类/功效"), max_length=50, blank=True, db_index=True)
    list_price = models.DecimalField(_("吊牌价"), max_digits=10, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="product_price_not_negative"
            )
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"


class Channel(models.TextChoices):
    STORE = "store", _("门店")
    MINI_PROGRAM = "mini_program", _("小程序")
    LIVESTREAM = "livestream", _("直播")
    OTHER = "other", _("其他")


ONLINE_CHANNELS = (Channel.MINI_PROGRAM, Channel.LIVESTREAM)


def counted_q(prefix: str = "") -> Q:
    """Orders that still count: not refunded in full; `prefix` reaches the order from another
    model ("order__" from an order line). As refunded_amount < amount (a refund is never
    negative nor over the amount: Order's constraints), on the column the index
    order_member_figures carries. Its SQL twin is members.rfm.sql.counted."""
    return Q(**{f"{prefix}net_cents__gt": 0})


class OrderQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Member-level order rows: the orders of the members the user may see."""
        return self.filter(scope_q(user, store="member__home_store", guide="member__guide"))

    def counted(self):
        """Orders that still count (`counted_q`)."""
        return self.filter(counted_q())


class Order(TimeStampedModel):
    """A sale. `store`/`guide` made it; `credited_store`/`credited_guide` get the credit.

    Attribution is decided once, at ingest (members.services.order_attribution), and stored, so
    reports never recompute it.
    """

    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="orders", verbose_name=_("下单门店")
    )
    order_no = models.CharField(_("订单号"), max_length=64)
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("会员"),
    )
    guide = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sold_orders",
        verbose_name=_("销售导购"),
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel, default=Channel.STORE)
    paid_at = models.DateTimeField(_("支付时间"))
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(
        _("已退款金额"), max_digits=12, decimal_places=2, default=ZERO
    )
    # amount - refunded_amount in whole cents, kept by the database on every write path (ORM,
    # COPY imports, raw SQL). The regroup sums it per member from the index order_member_figures:
    # integer sums and one integer test per order instead of numeric ones on the two amounts.
    # Its measure step at 1M members / 10M orders, two workers: 2.46-2.60 s on the amounts,
    # 1.72-1.91 s on this (bench/regroup.py, six runs each).
    net_cents = models.GeneratedField(
        expression=Cast(
            Round((models.F("amount") - models.F("refunded_amount")) * 100),
            models.BigIntegerField(),
        ),
        output_field=models.BigIntegerField(),
        db_persist=True,
        verbose_name=_("净额（分）"),
    )
    credited_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="credited_orders", verbose_name=_("业绩门店")
    )
    credited_guide = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credited_orders",
        verbose_name=_("业绩导购"),
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_at", "-id"]
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        constraints = [
            models.UniqueConstraint(fields=["store", "order_no"], name="unique_order_no_per_store"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="order_refund_within_amount",
            ),
        ]
        indexes = [
            # A member's purchase history and figures; RFM per member. The net amount rides
            # along (Postgres; SQLite ignores it) so that the regroup reads a member range's
            # orders from the index alone, in member order, wherever their rows lie in the
            # table. Orders stored as they arrive scatter a range's rows: by EXPLAIN ANALYZE of
            # a measure chunk of 100,000 members at 1M members / 10M orders so stored, 0.88 s
            # from this index against 2.70 s reading the heap (the whole table, per chunk).
            models.Index(
                fields=["member", "paid_at"], include=["net_cents"], name="order_member_figures"
            ),
            # Store and guide sales reports over a time window.
            models.Index(fields=["credited_store", "paid_at"], name="order_credit_store_paid"),
            models.Index(fields=["credited_guide", "paid_at"], name="order_credit_guide_paid"),
            models.Index(fields=["paid_at"], name="order_paid"),
            # Orders created or edited since the purchase summary's last refresh
            # (members.purchases.changes): a day's range read by every "bought ..." preview.
            models.Index(fields=["updated_at"], name="order_updated"),
        ]

    def __str__(self):
        return self.order_no

    @property
    def net_amount(self) -> Decimal:
        return self.amount - self.refunded_amount


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("商品")
    )
    quantity = models.PositiveIntegerField(_("数量"))
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="unique_order_line_product"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="order_line_amount_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["product", "order"], name="orderline_product_order")]

    def __str__(self):
        return f"{self.order_id}:{self.product_id}x{self.quantity}"


class Refund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    refund_no = models.CharField(_("退款单号"), max_length=64)
    amount = models.DecimalField(_("退款金额"), max_digits=12, decimal_places=2)
    refunded_at = models.DateTimeField(_("退款时间"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-refunded_at", "-id"]
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "refund_no"], name="unique_refund_no_per_order"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]
        # Refunds recorded since the purchase summary's last refresh (members.purchases.changes).
        indexes = [models.Index(fields=["created_at"], name="refund_created")]

    def __str__(self):
        return self.refund_no


# --- Imports ------------------------------------------------------------------------------------


class ImportKind(models.TextChoices):
    STORES = "stores", _("门店")
    MEMBERS = "members", _("会员")
    ORDERS = "orders", _("订单")
    ORDER_LINES = "order_lines", _("订单明细")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    FINISHED = "finished", _("已完成")
    FAILED = "failed", _("失败")


# The written transition table (members.imports.runs.import_run_move). RUNNING -> RUNNING is the
# no-op of a job the broker delivered again after its worker died: it starts over (the import is
# idempotent, so the rows already written come out unchanged).
IMPORT_TRANSITIONS = Transitions(
    table={
        ImportStatus.QUEUED: frozenset({ImportStatus.RUNNING, ImportStatus.FAILED}),
        ImportStatus.RUNNING: frozenset({ImportStatus.FINISHED, ImportStatus.FAILED}),
        ImportStatus.FINISHED: frozenset(),
        ImportStatus.FAILED: frozenset(),
    },
    statuses=ImportStatus,
    code="import_illegal_transition",
    message=_("导入状态不能从“%(from)s”变为“%(to)s”。"),
)


def import_upload_path(run, filename: str) -> str:
    """An uploaded file waits for its job under a random name (it holds phone numbers; MEDIA is
    not served over HTTP), and is deleted when the job ends."""
    return f"imports/{uuid.uuid4().hex}.csv"


class ImportRun(TimeStampedModel):
    """One import of a CSV file (command or admin upload), with its counts and bad rows.

    A command imports at once (RUNNING, then FINISHED). An admin upload is a background job: the
    file is kept in `file` while QUEUED and RUNNING, and the page follows `bytes_read` of
    `file_size` and the counts, which each chunk's transaction updates.
    """

    kind = models.CharField(_("类型"), max_length=16, choices=ImportKind)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus, default=ImportStatus.QUEUED
    )
    file_name = models.CharField(_("文件名"), max_length=255)
    file = models.FileField(_("待导入文件"), upload_to=import_upload_path, blank=True)
    file_size = models.PositiveBigIntegerField(_("文件大小（字节）"), default=0)
    bytes_read = models.PositiveBigIntegerField(_("已读取（字节）"), default=0)
    rows_read = models.PositiveIntegerField(_("读取行数"), default=0)
    rows_created = models.PositiveIntegerField(_("新增"), default=0)
    rows_updated = models.PositiveIntegerField(_("更新"), default=0)
    rows_rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    # [{"row": 3, "column": "phone", "value": "...", "reason": "..."}], capped; the count is exact.
    errors = models.JSONField(_("错误行"), default=list, blank=True)
    # Why the whole job failed (a file it could not read, a crash), shown on the run's page.
    failure = models.TextField(_("失败原因"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("操作人")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def in_progress(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.FINISHED:
            return 100
        return min(99, 100 * self.bytes_read // self.file_size) if self.file_size else 0

    @property
    def rows_unchanged(self) -> int:
        return self.rows_read - self.rows_created - self.rows_updated - self.rows_rejected
