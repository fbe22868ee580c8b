"""RFM(L) scoring and the eight customer groups (DOMAIN.md), regrouped nightly.

`MemberRfm` holds each member's figures as of the latest finished run; `RfmRun` the run's
settings and thresholds; `RfmGroupChange` the members whose group changed at a run (the
migration matrix is read from it); `RfmGroupCount` each store's group sizes per run.
"""

from decimal import Decimal

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..scope import scope_q
from .core import Member, SingletonSettings, Store, TimeStampedModel


class RfmGroup(models.TextChoices):
    IMPORTANT_VALUE = "important_value", _("重要价值")
    ORDINARY_VALUE = "ordinary_value", _("一般价值")
    IMPORTANT_DEVELOPMENT = "important_development", _("重要发展")
    ORDINARY_DEVELOPMENT = "ordinary_development", _("一般发展")
    IMPORTANT_RETENTION = "important_retention", _("重要保持")
    ORDINARY_RETENTION = "ordinary_retention", _("一般保持")
    IMPORTANT_WINBACK = "important_winback", _("重要挽留")
    ORDINARY_WINBACK = "ordinary_winback", _("一般挽留")
    NO_PURCHASE = "no_purchase", _("未消费")


class ThresholdMethod(models.TextChoices):
    MEDIAN = "median", _("中位数")
    MEAN = "mean", _("平均数")
    FIXED = "fixed", _("固定值")


THRESHOLD = {"max_digits": 16, "decimal_places": 4, "null": True, "blank": True}


class RfmSettings(SingletonSettings):
    """HQ's settings for the next runs (one row). Each run copies what it used."""

    window_days = models.PositiveIntegerField(
        _("统计周期（天）"), default=365, help_text=_("F 与 M 统计最近多少天的订单。")
    )
    r_method = models.CharField(
        _("R 阈值方法"), max_length=8, choices=ThresholdMethod, default=ThresholdMethod.MEDIAN
    )
    r_fixed = models.DecimalField(_("R 固定阈值（天）"), **THRESHOLD)
    f_method = models.CharField(
        _("F 阈值方法"), max_length=8, choices=ThresholdMethod, default=ThresholdMethod.MEDIAN
    )
    f_fixed = models.DecimalField(_("F 固定阈值（次）"), **THRESHOLD)
    m_method = models.CharField(
        _("M 阈值方法"), max_length=8, choices=ThresholdMethod, default=ThresholdMethod.MEDIAN
    )
    m_fixed = models.DecimalField(_("M 固定阈值（元）"), **THRESHOLD)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("RFM 设置")
        verbose_name_plural = _("RFM 设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=3650), name="rfm_window_range"
            ),
            *(
                models.CheckConstraint(
                    condition=~Q(**{f"{axis}_method": "fixed"})
                    | Q(**{f"{axis}_fixed__isnull": False}),
                    name=f"rfm_{axis}_fixed_given",
                )
                for axis in "rfm"
            ),
        ]

    def __str__(self):
        return str(_("RFM 设置"))


class RfmRunQuerySet(models.QuerySet):
    def finished(self, *, business_date=None):
        """Finished regroups (of one as-of date when given): what the nightly jobs that read the
        groups wait for, and what a re-run of that date returns untouched."""
        runs = self.filter(finished_at__isnull=False)
        return runs if business_date is None else runs.filter(business_date=business_date)


class RfmRun(TimeStampedModel):
    """One regroup for one as-of date, with the settings and thresholds it used."""

    business_date = models.DateField(_("统计日期"), unique=True)
    job_run = models.OneToOneField(
        "jobs.JobRun", on_delete=models.PROTECT, null=True, blank=True, related_name="rfm_run"
    )
    window_days = models.PositiveIntegerField(_("统计周期（天）"))
    r_method = models.CharField(_("R 阈值方法"), max_length=8, choices=ThresholdMethod)
    f_method = models.CharField(_("F 阈值方法"), max_length=8, choices=ThresholdMethod)
    m_method = models.CharField(_("M 阈值方法"), max_length=8, choices=ThresholdMethod)
    r_threshold = models.DecimalField(_("R 阈值（天）"), **THRESHOLD)
    f_threshold = models.DecimalField(_("F 阈值（次）"), **THRESHOLD)
    m_threshold = models.DecimalField(_("M 阈值（元）"), **THRESHOLD)
    active_members = models.PositiveIntegerField(_("活跃会员数"), default=0)
    members = models.PositiveIntegerField(_("会员数"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The finished run whose figures this run carries over for the members whose counted
    # orders did not change (members.rfm.measure): blank when every member is measured anew.
    base = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("增量基准"),
    )
    # Whether the order change log (MemberOrderChange) was kept while this run measured: only
    # such a run can be a base (runs from before migration members 0014 cannot).
    change_logged = models.BooleanField(_("订单变更已记录"), default=True)

    objects = RfmRunQuerySet.as_manager()

    class Meta:
        ordering = ["-business_date"]
        verbose_name = _("RFM 分群运行")
        verbose_name_plural = _("RFM 分群运行")

    def __str__(self):
        return f"RFM {self.business_date}"

    @property
    def members_measured(self) -> int:
        """Members measured from the orders (recorded by the finish; 0 until then): every member
        with counted orders, or, from a base, those whose orders changed."""
        return (self.job_run.detail or {}).get("measured", 0) if self.job_run_id else 0


class MemberRfmQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_q(user, store="member__home_store", guide="member__guide"))


class MemberRfm(models.Model):
    """A member's RFM(L) figures and group as of the latest finished run."""

    # Derived rows, upserted a million at a time from members_member itself: no database-level
    # foreign-key check, whose row locks on every member doubled the regroup's time
    # (bench/regroup.py). Deleting a member still cascades, through the ORM.
    member = models.OneToOneField(
        Member,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="rfm",
        db_constraint=False,
    )
    as_of = models.DateField(_("统计日期"))
    recency_days = models.IntegerField(_("R 最近消费（天）"), null=True, blank=True)
    frequency = models.IntegerField(_("F 消费次数"), default=0)
    monetary = models.DecimalField(_("M 消费金额"), max_digits=14, decimal_places=2, default=0)
    lifetime_days = models.IntegerField(_("L 生命周期（天）"), null=True, blank=True)
    group = models.CharField(_("客户群"), max_length=24, choices=RfmGroup)
    # All counted orders up to the as-of date, for segment conditions (order count, total
    # spent, average ticket, days since the last purchase).
    first_purchase_on = models.DateField(_("首次消费日"), null=True, blank=True)
    last_purchase_on = models.DateField(_("最近消费日"), null=True, blank=True)
    order_count = models.IntegerField(_("累计订单数"), default=0)
    total_spent = models.DecimalField(
        _("累计消费金额"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    # The member's home store when the run wrote the row, so that HQ's previews read one table
    # (members.segments.selectors). A member added or moved since is in MemberStoreChange, and
    # is read from members_member instead, until a run's finish finds the row current again.
    home_store = models.ForeignKey(
        Store,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("分群时归属门店"),
    )

    objects = MemberRfmQuerySet.as_manager()

    class Meta:
        ordering = ["member"]
        verbose_name = _("会员 RFM")
        verbose_name_plural = _("会员 RFM")
        # No secondary index. The regroup builds its table anew every run and would have to
        # index it alone, at its finish, while the previews gain little: HQ's read MemberRfm
        # whole (members.segments.selectors), a store's reach their members' rows by primary
        # key. At 1M members: a group (an eighth of the chain or more) read 0.42 s with an index
        # on it, 0.49 s without (EXPLAIN ANALYZE), while its CREATE INDEX took 0.74-0.77 s of
        # every regroup; with an index on last_purchase_on the regroup's swap took 0.6-1.2 s,
        # without it 0.25-0.36 s (bench/regroup.py), and HQ's "marketing window" (days 40-60
        # since the last purchase) previews in 0.12-0.2 s without it (bench/segment_preview.py).

    def __str__(self):
        return f"{self.member_id} {self.group}"


class MemberLogEntry(models.Model):
    """A member id written by database triggers, for a job to take later (no foreign key: the
    triggers write in bulk, and a deleted member's entry is simply dropped by its reader)."""

    member_id = models.BigIntegerField(db_index=True)

    class Meta:
        abstract = True

    def __str__(self):
        return str(self.member_id)


class MemberOrderChange(MemberLogEntry):
    """A member whose counted orders may have changed since the regroup last measured them.

    Written by database triggers on members_order (migration members 0014), in the transaction
    that inserts, deletes or changes an order's member, payment time, amount or refund, so that
    no write path can forget it; the regroup's measure chunks take (delete) the rows of their
    member range in the statement that measures those members again.
    """

    class Meta:
        verbose_name = _("会员订单变更")
        verbose_name_plural = _("会员订单变更")


class MemberStoreChange(MemberLogEntry):
    """A member added, or moved to another home store, since the live MemberRfm row was written:
    that row is missing or names another store, so HQ's previews read the member from
    members_member (members.segments.selectors).

    Written by database triggers on members_member (migration members 0016), in the transaction
    that inserts the member or changes their home store, whatever the write path. A regroup's
    finish sets the swapped-in rows' store from the members logged here and deletes the rows
    whose member's MemberRfm row is then current (members.rfm.next_table.store_changes_settle):
    a move committed after that check stays logged.
    """

    class Meta:
        verbose_name = _("会员门店变更")
        verbose_name_plural = _("会员门店变更")


class RfmGroupChangeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_q(user, store="store", guide="member__guide"))


class RfmGroupChange(models.Model):
    """A member whose group changed at a run: from (blank when first grouped), to, date."""

    # Written a million at a time on a first run, from members_member itself: keyed by
    # (member, business_date) with no surrogate id (its index cost a fifth of the writes), no
    # single-column indexes where that key and the (store, business_date) index lead with the
    # column, and no database-level foreign-key checks (as MemberRfm.member).
    pk = models.CompositePrimaryKey("member", "business_date")
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="group_changes",
        db_index=False,
        db_constraint=False,
    )
    business_date = models.DateField(_("统计日期"))
    from_group = models.CharField(
        _("原客户群"), max_length=24, choices=RfmGroup, blank=True, default=""
    )
    to_group = models.CharField(_("新客户群"), max_length=24, choices=RfmGroup)
    # The member's home store at that run, so matrices per store stay as they were.
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )

    objects = RfmGroupChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-business_date", "member"]
        verbose_name = _("客户群变动")
        verbose_name_plural = _("客户群变动")
        # The migration matrix between two run dates, per store (a btree) and brand-wide (a
        # BRIN on PostgreSQL, members 0011: the rows are appended in date order, as runs never
        # go back in time, and a first run writes a million of them; the demo's SQLite has none).
        indexes = [
            models.Index(fields=["store", "business_date"], name="groupchange_store_date"),
            BrinIndex(fields=["business_date"], name="groupchange_date_brin"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.from_group}->{self.to_group} @ {self.business_date}"


class RfmGroupCountQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_q(user, store="store"))

    def finished(self):
        """The counts of finished runs: a run's are written in its prepare step, before it
        finishes (members.rfm.runs)."""
        return self.filter(run__finished_at__isnull=False)


class RfmGroupCount(models.Model):
    """How many of a store's members were in each group at a run."""

    # Written by a regroup's prepare step, 13,500 rows at a time for 1,500 stores, from its run
    # and the members' stores: no database-level foreign-key checks (as RfmGroupChange), which
    # took 0.18 s of that insert at commit (scratch timing). Deletes still cascade, through the
    # ORM.
    run = models.ForeignKey(
        RfmRun, on_delete=models.CASCADE, related_name="group_counts", db_constraint=False
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    group = models.CharField(_("客户群"), max_length=24, choices=RfmGroup)
    members = models.PositiveIntegerField(_("会员数"), default=0)

    objects = RfmGroupCountQuerySet.as_manager()

    class Meta:
        ordering = ["run", "store", "group"]
        verbose_name = _("客户群人数")
        verbose_name_plural = _("客户群人数")
        constraints = [
            models.UniqueConstraint(fields=["run", "store", "group"], name="unique_group_count")
        ]

    def __str__(self):
        return f"{self.run_id}:{self.store_id}:{self.group}={self.members}"
