"""The purchase summary: each member's latest counted purchase of each product, kept nightly.

Segment conditions "bought SKU / series / category within N days" read it instead of scanning
order lines (members.purchases). `MemberPurchase` holds, as of the summary's date, the local date
of the latest counted order (not refunded in full) with a line for the product, and that order's
id; `PurchaseSummaryRun` records each refresh: its as-of date and the instant from which changes
to orders are not (or not surely) in the summary.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .core import Member, Product, TimeStampedModel


class MemberPurchase(models.Model):
    """A member's latest counted purchase of a product, as of the summary's date."""

    pk = models.CompositePrimaryKey("member", "product")
    # Derived rows written in bulk from the orders (as MemberRfm): no database-level foreign-key
    # checks; Django still cascades a member's deletion.
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="purchases",
        db_constraint=False,
        db_index=False,  # the primary key leads with it
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    last_bought_on = models.DateField(_("最近购买日"))
    # The order behind `last_bought_on`: when it changes later (refund, re-import to another
    # member), the row is no longer trusted until the next refresh.
    last_order_id = models.BigIntegerField(_("最近购买订单"))

    class Meta:
        ordering = ["member", "product"]
        verbose_name = _("会员购买汇总")
        verbose_name_plural = _("会员购买汇总")
        indexes = [
            # "Bought product P (or any of a series' products) on or after day D": an
            # index-only range scan per product.
            models.Index(
                fields=["product", "last_bought_on", "member", "last_order_id"],
                name="memberpurchase_lookup",
            )
        ]

    def __str__(self):
        return f"{self.member_id}:{self.product_id}@{self.last_bought_on}"


class PurchaseSummaryRun(TimeStampedModel):
    """One refresh of the purchase summary, as of a local date."""

    business_date = models.DateField(_("统计日期"), unique=True)
    job_run = models.OneToOneField(
        "jobs.JobRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchase_summary_run",
    )
    # Changes to orders (new or edited orders, refunds) from this instant on may be missing from
    # the rows this run wrote: readers treat those orders' members directly (members.purchases).
    changes_since = models.DateTimeField(_("变更起点"))
    # The run this one brings forward: only the members whose orders changed since it began are
    # rewritten. None for a full run, which rewrites every member.
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rows = models.PositiveIntegerField(_("写入行数"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-business_date"]
        verbose_name = _("购买汇总运行")
        verbose_name_plural = _("购买汇总运行")

    def __str__(self):
        return f"purchases {self.business_date}"

    @property
    def full(self) -> bool:
        return self.previous_id is None


class PurchaseStage(models.Model):
    """The members a run rewrites, per chunk (work table, emptied when the run finishes)."""

    pk = models.CompositePrimaryKey("run", "member_id")
    run = models.ForeignKey(
        PurchaseSummaryRun,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the primary key leads with it
    )
    member_id = models.BigIntegerField()

    class Meta:
        ordering = ["run", "member_id"]

    def __str__(self):
        return f"{self.run_id}:{self.member_id}"
