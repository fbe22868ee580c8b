"""Job-run and chunk records for nightly sweeps (INV-JOB-RERUN).

A sweep (regrouping members, materialising segments, expiring coupons, ...) is one `JobRun` per
(job, subject, business date) and one `JobChunk` per key range and step. A chunk's writes and its
own `finished` mark commit in one transaction, so a re-run skips finished chunks and redoes the
rest, and a run killed half-way ends as a clean run would.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    PENDING = "pending", _("待运行")
    RUNNING = "running", _("运行中")
    FINISHED = "finished", _("已完成")
    FAILED = "failed", _("失败")


class JobRun(models.Model):
    job = models.CharField(_("任务"), max_length=50)
    # What the run is about when a job runs per object, e.g. a segment's id; "" for brand-wide.
    subject = models.CharField(_("对象"), max_length=50, blank=True, default="")
    business_date = models.DateField(_("业务日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus, default=JobStatus.PENDING
    )
    # The step the run is in, for jobs with several passes (e.g. measure, then prepare).
    step = models.CharField(_("步骤"), max_length=30, blank=True, default="")
    chunk_total = models.PositiveIntegerField(_("分片数"), default=0)
    chunk_done = models.PositiveIntegerField(_("已完成分片"), default=0)
    # Figures the job reports when it ends (counts, thresholds, ...).
    detail = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True, default="")
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-business_date", "job", "subject"]
        verbose_name = _("任务运行")
        verbose_name_plural = _("任务运行")
        constraints = [
            models.UniqueConstraint(
                fields=["job", "subject", "business_date"], name="unique_job_run_per_date"
            ),
            models.CheckConstraint(
                condition=Q(chunk_done__lte=models.F("chunk_total")), name="job_run_done_le_total"
            ),
        ]

    def __str__(self):
        suffix = f" {self.subject}" if self.subject else ""
        return f"{self.job}{suffix} @ {self.business_date}"


class JobChunk(models.Model):
    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="chunks")
    step = models.CharField(_("步骤"), max_length=30, blank=True, default="")
    # A half-open primary-key range [lo, hi).
    lo = models.BigIntegerField(_("起始ID"))
    hi = models.BigIntegerField(_("结束ID"))
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus, default=JobStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    rows = models.PositiveIntegerField(_("写入行数"), default=0)
    # What a chunk hands on to its step's end, e.g. its share of a run's counts.
    detail = models.JSONField(_("结果"), default=dict, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["run", "step", "lo"]
        verbose_name = _("任务分片")
        verbose_name_plural = _("任务分片")
        constraints = [
            models.UniqueConstraint(fields=["run", "step", "lo"], name="unique_job_chunk"),
            models.CheckConstraint(condition=Q(lo__lt=models.F("hi")), name="job_chunk_range"),
        ]
        # The coordinator's "what is left of this step" query.
        indexes = [models.Index(fields=["run", "step", "status"], name="job_chunk_left")]

    def __str__(self):
        return f"{self.run_id}/{self.step}[{self.lo},{self.hi})"
