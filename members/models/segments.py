"""Segments (分组): HQ segments and store sub-segments (二次分组), materialised nightly.

A segment's `rule` is a tree of conditions (see `members/segments/`); a sub-segment is confined
to its store's members and, when it starts from an HQ segment (`base`), to that segment's rule
too. `SegmentMember` is the materialised membership; `SegmentSize` its size per business date.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..scope import shared_or_scope_q
from .core import Member, Store, TimeStampedModel


def empty_rule() -> dict:
    return {"op": "and", "items": []}


class SegmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """HQ segments are seen by all staff; a store's sub-segments only within its scope."""
        return self.filter(shared_or_scope_q(user, store="store"))

    def hq(self):
        return self.filter(store__isnull=True)


class Segment(TimeStampedModel):
    name = models.CharField(_("分组名称"), max_length=60)
    description = models.CharField(_("说明"), max_length=200, blank=True, default="")
    store = models.ForeignKey(
        Store,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="segments",
        verbose_name=_("门店"),
        help_text=_("为空表示总部分组；门店的二次分组只含本店会员。"),
    )
    base = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_segments",
        verbose_name=_("基于总部分组"),
    )
    rule = models.JSONField(_("规则"), default=empty_rule)
    is_starter = models.BooleanField(_("预置分组"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    # The latest materialisation.
    member_count = models.PositiveIntegerField(_("人数"), null=True, blank=True)
    total_spent = models.DecimalField(
        _("累计消费"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    materialised_at = models.DateTimeField(_("最近计算时间"), null=True, blank=True)

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["store_id", "name"]
        verbose_name = _("分组")
        verbose_name_plural = _("分组")
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(store__isnull=True), name="unique_hq_segment_name"
            ),
            models.UniqueConstraint(fields=["store", "name"], name="unique_store_segment_name"),
            models.CheckConstraint(
                condition=Q(base__isnull=True) | Q(store__isnull=False),
                name="segment_base_only_for_store",
            ),
        ]

    def __str__(self):
        return self.name


class SegmentMember(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="segment_memberships")

    class Meta:
        ordering = ["segment", "member"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "member"], name="unique_segment_member")
        ]
        # "Which segments is this member in" (member card, segment filter on member lists).
        indexes = [models.Index(fields=["member", "segment"], name="segmentmember_member")]

    def __str__(self):
        return f"{self.segment_id}:{self.member_id}"


class SegmentSize(models.Model):
    """A segment's size on a business date: the trend line."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="sizes")
    business_date = models.DateField(_("业务日期"))
    member_count = models.PositiveIntegerField(_("人数"))
    total_spent = models.DecimalField(_("累计消费"), max_digits=16, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["segment", "business_date"]
        verbose_name = _("分组人数")
        verbose_name_plural = _("分组人数")
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "business_date"], name="unique_segment_size_per_date"
            )
        ]

    def __str__(self):
        return f"{self.segment_id}@{self.business_date}={self.member_count}"
