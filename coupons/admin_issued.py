"""HQ admin for what was issued: batches (read-only, with their progress, skips and rejected
lines) and coupons (read-only; the one write is 作废, through the status door, audited)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import action, display

from members.admin_base import ReadOnlyAdmin, autocomplete
from members.errors import RuleViolation
from members.phones import mask_phone
from members.transitions import IllegalTransition

from .forms_issuing import BatchForm
from .models import BatchStatus, Coupon, CouponStatus, IssueBatch
from .progress import batch_progress
from .selectors_life import coupon_life
from .services.issuing import batch_create
from .services.status import coupon_status_change
from .templatetags.coupon_format import format_yuan

BATCH_COLOURS = {
    BatchStatus.QUEUED: "info",
    BatchStatus.RUNNING: "warning",
    BatchStatus.FINISHED: "success",
    BatchStatus.FAILED: "danger",
}
COUPON_COLOURS = {
    CouponStatus.ISSUED: "info",
    CouponStatus.REDEEMED: "success",
    CouponStatus.EXPIRED: "warning",
    CouponStatus.VOIDED: "danger",
}


@admin.register(IssueBatch)
class IssueBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "template",
        "kind",
        "source",
        "owner",
        "segment",
        "status_label",
        "progress",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_display_links = ["pk", "template"]
    list_filter = [
        "status",
        "source",
        "template__kind",
        ("store", RelatedDropdownFilter),
        ("template", RelatedDropdownFilter),
    ]
    list_filter_submit = True
    list_select_related = ["template", "store", "segment", "created_by"]
    fields = [
        ("template", "kind"),
        ("source", "owner"),
        "segment",
        "status",
        "error",
        "created_by",
        ("created_at", "started_at", "finished_at"),
    ]
    readonly_fields = ["kind", "owner", "progress"]
    change_form_after_template = "admin/coupons/issuebatch_detail.html"
    list_before_template = "admin/coupons/roi_link.html"

    class Media:
        css = {"all": ["css/coupons.css"]}

    @display(description=_("券类型"))
    def kind(self, batch):
        return batch.template.get_kind_display()

    @display(description=_("发起方"))
    def owner(self, batch):
        return batch.store.name if batch.store_id else gettext("总部")

    @display(description=_("状态"), ordering="status", label=BATCH_COLOURS)
    def status_label(self, batch):
        return batch.status, batch.get_status_display()

    @display(description=_("已发放 / 目标"))
    def progress(self, batch):
        return render_to_string("coupons/_batch_progress.html", {"batch": batch})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        extra = {**(extra_context or {}), "batch": batch}
        if batch is not None:
            extra["skip_rows"] = batch_progress(batch)["skipped_labelled"]
            extra["poll_url"] = reverse("admin:coupons_issuebatch_progress", args=[batch.pk])
        return super().change_view(request, object_id, form_url, extra)

    # Issuing: HQ makes a batch here (to any segment, or a pasted phone list); the batch page
    # then follows its progress. The batch itself stays read-only.
    def has_add_permission(self, request):
        return self.has_view_permission(request)

    def get_urls(self):
        progress = self.admin_site.admin_view(self.progress_view)
        return [
            path("<int:pk>/progress/", progress, name="coupons_issuebatch_progress"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BatchForm(request.POST or None, user=request.user)
        # Thousands of segments: searched as the user types, not listed in one <select>.
        autocomplete(form.fields["segment"], self.model._meta.get_field("segment"), self.admin_site)
        if request.method == "POST" and form.is_valid():
            try:
                batch = batch_create(actor=request.user, **form.batch_arguments())
            except RuleViolation as refusal:
                form.add_error(None, refusal.message)
            else:
                self.message_user(request, gettext("发券批次已提交，正在后台发放。"))
                return redirect("admin:coupons_issuebatch_change", batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("新建发券批次"),
            "form": form,
            "media": self.media + form.media,
        }
        status = 400 if form.is_bound else 200
        return TemplateResponse(
            request, "admin/coupons/issuebatch_add.html", context, status=status
        )

    def progress_view(self, request, pk):
        batch = get_object_or_404(self.get_queryset(request), pk=pk)
        context = {"batch": batch, "poll_url": request.path}
        return TemplateResponse(request, "coupons/_batch_progress.html", context)


class ExpiringFilter(admin.SimpleListFilter):
    title = _("即将到期")
    parameter_name = "expiring"

    def lookups(self, request, model_admin):
        return [("7", _("7 天内到期（未使用）")), ("30", _("30 天内到期（未使用）"))]

    def queryset(self, request, queryset):
        if self.value() not in ("7", "30"):
            return queryset
        today = timezone.localdate()
        return queryset.expiring_within(days=int(self.value()), today=today)


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "member_phone",
        "template",
        "kind",
        "face_value_shown",
        "store",
        "status_label",
        "valid_until",
        "issued_at",
    ]
    list_filter = [
        "status",
        "template__kind",
        ExpiringFilter,
        ("template", RelatedDropdownFilter),
        ("store", RelatedDropdownFilter),
    ]
    list_filter_submit = True
    list_select_related = ["member", "template", "store"]
    search_fields = ["code"]
    search_help_text = _("输入完整券码，或会员手机尾号后四位。")
    list_before_template = "admin/coupons/roi_link.html"
    actions = ["void"]
    fields = [
        ("code", "status"),
        ("template", "kind", "face_value", "min_spend"),
        ("member_phone", "store", "batch"),
        ("valid_from", "valid_until"),
        ("issued_at", "status_changed_at", "reminded_on"),
    ]
    readonly_fields = ["member_phone", "kind"]
    change_form_after_template = "admin/coupons/coupon_life.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        coupon = self.get_object(request, object_id)
        extra = {**(extra_context or {}), "life": coupon_life(coupon) if coupon else []}
        return super().change_view(request, object_id, form_url, extra)

    def get_search_results(self, request, queryset, search_term):
        """A phone tail or a whole code: never a free-text search over full phones."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit() and len(term) == 4:
            return queryset.filter(member__phone_tail=term), False
        return queryset.filter(code__in={term, term.upper()}), False

    @display(description=_("会员手机"))
    def member_phone(self, coupon):
        return mask_phone(coupon.member.phone)

    @display(description=_("券类型"))
    def kind(self, coupon):
        return coupon.template.get_kind_display()

    @display(description=_("面额"), ordering="face_value")
    def face_value_shown(self, coupon):
        return format_yuan(coupon.face_value)

    @display(description=_("状态"), ordering="status", label=COUPON_COLOURS)
    def status_label(self, coupon):
        return coupon.status, coupon.get_status_display()

    @action(description=_("作废所选优惠券"))
    def void(self, request, queryset):
        voided, refused = 0, 0
        for coupon in queryset.select_related(None).only("pk", "status"):
            if coupon.status == CouponStatus.VOIDED:
                continue
            try:
                coupon_status_change(
                    coupon=coupon, to=CouponStatus.VOIDED, actor=request.user, reason="void"
                )
            except IllegalTransition:
                refused += 1
            else:
                voided += 1
        self.message_user(
            request,
            ngettext("已作废 %(n)d 张优惠券。", "已作废 %(n)d 张优惠券。", voided) % {"n": voided},
            messages.SUCCESS,
        )
        if refused:
            self.message_user(
                request,
                gettext("%(n)d 张优惠券已过期或已作废，不能再作废。") % {"n": refused},
                messages.WARNING,
            )
