"""The export log (INVARIANTS, personal data): who exported what filter, how many rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..scope import scope_q
from .core import Store


class ExportLogQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_q(user, store="store"))


class ExportLog(models.Model):
    """Append-only: one row per export, written in the export's transaction."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("导出人"),
    )
    # The actor's store for store staff (scoping); null for HQ.
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("导出内容"), max_length=40)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("行数"))
    masked = models.BooleanField(_("手机号已脱敏"), default=True)
    created_at = models.DateTimeField(_("导出时间"), auto_now_add=True)

    objects = ExportLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")

    def __str__(self):
        return f"{self.kind} x{self.row_count}"
