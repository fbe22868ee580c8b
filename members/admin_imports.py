"""HQ admin: CSV imports (upload, result, bad-row report).

Only HQ staff import: the list, the detail, the upload page, its progress and the report download
all answer 403 to anyone else (the admin itself already turns away non-staff). The upload checks
the file can be read, keeps it and starts a background job (members.imports.runs); it lands on
the run's page, which follows the job (htmx, every second) and shows the bad rows when it ends.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRefresh
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from .admin_base import ReadOnlyAdmin, is_hq_staff
from .audit import audit_record
from .imports import IMPORTERS, ImportFileError
from .imports.report import REPORT_HEADER, stored_report_rows
from .imports.runs import import_upload_create
from .models import ImportKind, ImportRun

PROGRESS_TEMPLATE = "admin/imports/_importrun_progress.html"


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("导入类型"), choices=ImportKind.choices, widget=UnfoldAdminSelectWidget
    )
    file = forms.FileField(
        label=_("CSV 文件"),
        widget=UnfoldAdminFileFieldWidget,
        help_text=_("UTF-8 或 GB18030（GBK）编码的 CSV，第 1 行为表头。"),
    )


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "status",
        "file_name",
        "rows_read",
        "rows_created",
        "rows_updated",
        "rows_rejected",
        "created_by",
    )
    list_filter = ("kind", "status")
    search_fields = ("file_name",)
    list_select_related = ("created_by",)
    fields = (
        "kind",
        "file_name",
        "status",
        ("rows_read", "rows_created", "rows_updated", "rows_rejected"),
        "created_by",
        "created_at",
        ("started_at", "finished_at"),
    )
    list_before_template = "admin/imports/importrun_list_before.html"
    change_form_after_template = "admin/imports/importrun_errors.html"

    # Read-only (a run is a record of what happened); only HQ staff may start one.
    def has_import_permission(self, request):
        return is_hq_staff(request)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="members_importrun_upload"),
            path(
                "<path:object_id>/progress/",
                view(self.progress_view),
                name="members_importrun_progress",
            ),
            path(
                "<path:object_id>/errors.csv",
                view(self.errors_csv_view),
                name="members_importrun_errors_csv",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            if form.is_valid() and (run := self._run_upload(request, form)):
                return redirect(reverse("admin:members_importrun_change", args=[run.pk]))
            # INVARIANTS: validation errors are a 400 with the reasons on the page.
            return self._render_upload(request, form, status=400)
        return self._render_upload(request, form)

    def _run_upload(self, request, form) -> ImportRun | None:
        upload = form.cleaned_data["file"]
        try:
            run = import_upload_create(
                kind=form.cleaned_data["kind"], upload=upload, actor=request.user
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
            return None
        messages.info(request, gettext("文件已上传，正在后台导入；本页会显示进度和结果。"))
        return run

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {**(extra_context or {}), "progress_template": PROGRESS_TEMPLATE}
        return super().change_view(request, object_id, form_url, extra)

    def progress_view(self, request, object_id):
        """The progress card, polled while the job runs; once it has ended, an htmx poll gets
        the whole page reloaded (its bad-row report is part of the page)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(self.get_queryset(request), pk=_int_or_404(object_id))
        if request.htmx and not run.in_progress:
            return HttpResponseClientRefresh()
        return TemplateResponse(request, PROGRESS_TEMPLATE, {"original": run})

    def _render_upload(self, request, form, status=200):
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("上传导入"),
            "opts": self.model._meta,
            "form": form,
            "kinds": [(label, ",".join(columns)) for label, columns in _expected_headers().items()],
        }
        return TemplateResponse(request, "admin/imports/upload.html", context, status=status)

    def errors_csv_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(self.get_queryset(request), pk=_int_or_404(object_id))
        rows = stored_report_rows(run.errors, run.rows_rejected)
        audit_record(
            actor=request.user, obj=run, event="export", export="import_errors", rows=len(rows)
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
        response.write("\ufeff")  # a BOM, so that Excel reads the file as UTF-8
        writer = csv.writer(response)
        writer.writerow(REPORT_HEADER)
        writer.writerows(rows)
        return response


def _expected_headers() -> dict[str, tuple[str, ...]]:
    return {ImportKind(kind).label: importer.columns for kind, importer in IMPORTERS.items()}


def _int_or_404(value: str) -> int:
    if not str(value).isdigit():
        raise Http404
    return int(value)
