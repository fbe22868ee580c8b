"""HQ admin for RFM groups: the settings (one row), the runs, the migration matrix page, and the
member's RFM figures on the member page. HQ staff only, like every admin page."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import StackedInline
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSelectWidget

from .admin_base import ReadOnlyAdmin, SingletonSettingsAdmin, autocomplete, is_hq_staff
from .models import Member, MemberRfm, RfmGroup, RfmGroupCount, RfmRun, RfmSettings, ThresholdMethod
from .selectors import plain_number
from .views_groups import migration_page

AXES = (("r", "R"), ("f", "F"), ("m", "M"))
MAX_WINDOW_DAYS = 3650


class RfmSettingsForm(forms.ModelForm):
    class Meta:
        model = RfmSettings
        fields = [
            "window_days",
            "r_method",
            "r_fixed",
            "f_method",
            "f_fixed",
            "m_method",
            "m_fixed",
        ]

    def clean_window_days(self):
        days = self.cleaned_data["window_days"]
        if not 1 <= days <= MAX_WINDOW_DAYS:
            raise forms.ValidationError(
                gettext("统计周期须在 1 到 %(max)d 天之间。") % {"max": MAX_WINDOW_DAYS}
            )
        return days

    def clean(self):
        cleaned = super().clean()
        for axis, name in AXES:
            fixed = cleaned.get(f"{axis}_fixed")
            if cleaned.get(f"{axis}_method") == ThresholdMethod.FIXED and fixed is None:
                self.add_error(
                    f"{axis}_fixed",
                    gettext("%(axis)s 选择“固定值”时必须填写固定阈值。") % {"axis": name},
                )
            elif fixed is not None and fixed < 0:
                self.add_error(f"{axis}_fixed", gettext("固定阈值不能为负数。"))
        return cleaned


@admin.register(RfmSettings)
class RfmSettingsAdmin(SingletonSettingsAdmin):
    """One row: the list opens it; it can be neither added nor deleted."""

    form = RfmSettingsForm
    fieldsets = [
        (None, {"fields": ["window_days"]}),
        (
            _("阈值"),
            {"fields": [("r_method", "r_fixed"), ("f_method", "f_fixed"), ("m_method", "m_fixed")]},
        ),
    ]


@admin.register(RfmRun)
class RfmRunAdmin(ReadOnlyAdmin):
    list_display = [
        "business_date",
        "window_days",
        "methods",
        "thresholds",
        "active_members",
        "members",
        "measured",
        "finished_at",
        "job_status",
        "job_progress",
    ]
    list_select_related = ["job_run", "base"]
    fields = [
        "business_date",
        "window_days",
        ("r_method", "f_method", "m_method"),
        ("r_threshold", "f_threshold", "m_threshold"),
        ("active_members", "members"),
        "measured",
        "finished_at",
        ("job_status", "job_progress"),
    ]
    readonly_fields = ["measured", "job_status", "job_progress"]
    list_before_template = "admin/members/rfmrun_list_before.html"
    change_form_after_template = "admin/members/rfmrun_groups.html"

    @display(description=_("计算方式"))
    def measured(self, run):
        """Anew, or from a base run with how many members were measured again."""
        if run.base_id is None:
            return _("全量")
        return _("增量：基于 %(base)s，重算 %(n)s 人") % {
            "base": run.base.business_date,
            "n": f"{run.members_measured:,}",
        }

    @display(description=_("阈值方法"))
    def methods(self, run):
        return " / ".join(
            f"{name} {getattr(run, f'get_{axis}_method_display')()}" for axis, name in AXES
        )

    @display(description=_("阈值"))
    def thresholds(self, run):
        return " / ".join(
            f"{name} {_threshold(getattr(run, f'{axis}_threshold'))}" for axis, name in AXES
        )

    @display(description=_("任务状态"))
    def job_status(self, run):
        return run.job_run.get_status_display() if run.job_run else "—"

    @display(description=_("分片进度"))
    def job_progress(self, run):
        job = run.job_run
        return f"{job.chunk_done}/{job.chunk_total}" if job else "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        extra = {**(extra_context or {}), "group_counts": _brand_group_counts(run)}
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):
        view = self.admin_site.admin_view(self.migration_view)
        return [
            path("migration/", view, name="members_rfmrun_migration"),
            *super().get_urls(),
        ]

    def migration_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context, status = migration_page(request.user, request.GET)
        form = context["form"]
        _unfold_selects(form)
        if "store" in form.fields:  # thousands of stores: searched, not listed
            home_store = Member._meta.get_field("home_store")
            autocomplete(form.fields["store"], home_store, self.admin_site)
        context["media"] = self.media + form.media
        context.update(
            self.admin_site.each_context(request),
            title=gettext("客户群迁移矩阵"),
            opts=self.model._meta,
        )
        return TemplateResponse(
            request, "admin/members/group_migration.html", context, status=status
        )


def _unfold_selects(form) -> None:
    """The shared filter form, in the admin's look."""
    for field in form.fields.values():
        field.widget = UnfoldAdminSelectWidget(choices=field.choices)


def _threshold(value):
    return "—" if value is None else plain_number(value)


def _brand_group_counts(run: RfmRun | None) -> list[tuple[str, int]]:
    if run is None:
        return []
    rows = RfmGroupCount.objects.finished().filter(run=run)
    rows = rows.values("group").annotate(n=Sum("members"))
    counts = {row["group"]: row["n"] for row in rows.order_by()}
    return [(label, counts.get(key, 0)) for key, label in RfmGroup.choices]


class MemberRfmInline(StackedInline):
    """The member's RFM figures, read-only: only the nightly regroup writes them."""

    model = MemberRfm
    fk_name = "member"
    can_delete = False
    extra = 0
    max_num = 1
    verbose_name_plural = _("RFM 分群")
    fields = [
        ("group", "as_of"),
        ("recency_days", "frequency", "monetary", "lifetime_days"),
        ("first_purchase_on", "last_purchase_on", "order_count", "total_spent"),
    ]
    readonly_fields = [name for row in fields for name in row]

    def has_view_permission(self, request, obj=None):
        return is_hq_staff(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
