"""HQ admin for nightly job runs and their chunks: read-only, HQ staff only."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from members.admin_base import ReadOnlyAdmin

from .models import JobChunk, JobRun, JobStatus

ERROR_SHOWN = 80


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = [
        "job",
        "subject",
        "business_date",
        "status",
        "step",
        "progress",
        "started_at",
        "finished_at",
        "short_error",
    ]
    list_filter = ["status", "job"]
    search_fields = ["job", "subject"]
    fields = [
        ("job", "subject", "business_date"),
        ("status", "step", "progress"),
        ("started_at", "finished_at"),
        "chunk_summary",
        "detail",
        "error",
    ]
    readonly_fields = ["progress", "chunk_summary"]

    @display(description=_("进度"))
    def progress(self, run):
        return f"{run.chunk_done}/{run.chunk_total}"

    @display(description=_("错误"))
    def short_error(self, run):
        return run.error[:ERROR_SHOWN] if run.error else "—"

    @display(description=_("分片状态"))
    def chunk_summary(self, run):
        rows = run.chunks.values("step", "status").annotate(n=Count("pk")).order_by("step")
        labels = dict(JobStatus.choices)
        parts = [f"{row['step'] or '—'} {labels[row['status']]} {row['n']}" for row in rows]
        return "；".join(parts) or "—"


@admin.register(JobChunk)
class JobChunkAdmin(ReadOnlyAdmin):
    list_display = ["run", "step", "lo", "hi", "status", "attempts", "rows", "finished_at"]
    list_filter = ["status", "step"]
    list_select_related = ["run"]
