"""HQ admin for what HQ designs: coupon templates (kind derived on save, 启用/停用 audited), the
coupon settings (one row; a new large/small cut-off re-derives every template's kind), the
stores' monthly allowances and the welcome pack."""

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import action, display

from members.admin_base import HqOnlyAdmin, SingletonSettingsAdmin
from members.errors import RuleViolation
from members.models import OperatingModel, Region, Store, StoreGroup

from .forms import CouponSettingsForm, CouponTemplateForm, WelcomePackItemForm
from .models import (
    CouponSettings,
    CouponTemplate,
    StoreCouponAllowance,
    TemplateStatus,
    UsableIn,
    ValidityKind,
    WelcomePackItem,
)
from .services.template_status import template_status_change
from .services.templates import template_kind_assign, template_kinds_refresh
from .templatetags.coupon_format import format_yuan

STATUS_COLOURS = {
    TemplateStatus.DRAFT: "info",
    TemplateStatus.ACTIVE: "success",
    TemplateStatus.CLOSED: "danger",
}
NAMES_SHOWN = 3
OPERATING_MODELS = dict(OperatingModel.choices)


def _names(objects) -> str:
    names = [obj.name for obj in objects]
    if len(names) > NAMES_SHOWN:
        more = gettext("等 %(n)d 个") % {"n": len(names)}
        return "、".join(names[:NAMES_SHOWN]) + more
    return "、".join(names)


def usable_in_text(template: CouponTemplate) -> str:
    """'全部门店', or '指定片区：北区、南区' (the M2M rows prefetched by the list)."""
    label = UsableIn(template.usable_in).label
    chosen = {
        UsableIn.REGIONS: lambda: _names(template.regions.all()),
        UsableIn.STORE_GROUPS: lambda: _names(template.store_groups.all()),
        UsableIn.STORES: lambda: _names(template.stores.all()),
        UsableIn.OPERATING_MODELS: lambda: "、".join(
            str(OPERATING_MODELS.get(m, m)) for m in template.operating_models
        ),
    }.get(template.usable_in)
    return f"{label}：{chosen()}" if chosen else str(label)


def validity_text(template: CouponTemplate) -> str:
    if template.validity == ValidityKind.FIXED:
        return gettext("%(start)s 至 %(end)s") % {
            "start": template.valid_from.isoformat() if template.valid_from else "?",
            "end": template.valid_until.isoformat() if template.valid_until else "?",
        }
    return gettext("领券后 %(days)s 天") % {"days": template.valid_days}


@admin.register(CouponTemplate)
class CouponTemplateAdmin(HqOnlyAdmin):
    form = CouponTemplateForm
    list_display = [
        "name",
        "kind_label",
        "face_value_shown",
        "min_spend_shown",
        "validity_shown",
        "usable_in_shown",
        "quota_shown",
        "budget_shown",
        "ease_rank",
        "status_label",
    ]
    list_filter = ["kind", "status", "usable_in"]
    search_fields = ["name"]
    search_help_text = _("输入模板名称。")
    readonly_fields = ["kind", "status", "issued_count", "created_by"]
    filter_horizontal = ["regions", "store_groups", "stores"]
    autocomplete_fields = ["products"]
    actions = ["activate", "close"]
    list_before_template = "admin/coupons/roi_link.html"
    fieldsets = [
        (None, {"fields": ["name", ("face_value", "min_spend"), "kind", "ease_rank", "status"]}),
        (_("有效期"), {"fields": ["validity", ("valid_from", "valid_until"), "valid_days"]}),
        (
            _("适用门店"),
            {"fields": ["usable_in", "regions", "store_groups", "operating_models", "stores"]},
        ),
        (_("适用商品"), {"fields": ["products", "series", "categories"]}),
        (
            _("限制"),
            {
                "fields": [
                    ("per_member_limit", "limit_period"),
                    ("total_quota", "issued_count"),
                    "budget",
                    "reusable_after_refund",
                    "guide_may_issue",
                    "created_by",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("regions", queryset=Region.objects.only("pk", "name")),
                Prefetch("store_groups", queryset=StoreGroup.objects.only("pk", "name")),
                Prefetch("stores", queryset=Store.objects.only("pk", "name")),
            )
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        template_kind_assign(obj)
        super().save_model(request, obj, form, change)

    @display(description=_("券类型"), ordering="kind")
    def kind_label(self, template):
        return template.get_kind_display()

    @display(description=_("面额"), ordering="face_value")
    def face_value_shown(self, template):
        return format_yuan(template.face_value)

    @display(description=_("最低消费"), ordering="min_spend")
    def min_spend_shown(self, template):
        return format_yuan(template.min_spend) if template.has_threshold else gettext("无门槛")

    @display(description=_("有效期"))
    def validity_shown(self, template):
        return validity_text(template)

    @display(description=_("适用门店"))
    def usable_in_shown(self, template):
        return usable_in_text(template)

    @display(description=_("已发放 / 总量"), ordering="issued_count")
    def quota_shown(self, template):
        quota = template.total_quota if template.total_quota is not None else gettext("不限")
        return f"{template.issued_count} / {quota}"

    @display(description=_("预算"))
    def budget_shown(self, template):
        return format_yuan(template.budget) if template.budget is not None else gettext("不限")

    @display(description=_("状态"), ordering="status", label=STATUS_COLOURS)
    def status_label(self, template):
        return template.status, template.get_status_display()

    @action(description=_("启用所选模板"))
    def activate(self, request, queryset):
        self._move(request, queryset, TemplateStatus.ACTIVE)

    @action(description=_("停用所选模板"))
    def close(self, request, queryset):
        self._move(request, queryset, TemplateStatus.CLOSED)

    def _move(self, request, queryset, to: str):
        moved, refused = 0, []
        for template in queryset.prefetch_related(None).only("pk", "name", "status"):
            if template.status == to:
                continue
            try:
                template_status_change(template=template, to=to, actor=request.user)
            except RuleViolation as violation:
                refused.append(str(violation.message))
            else:
                moved += 1
        label = TemplateStatus(to).label
        self.message_user(
            request,
            ngettext(
                "%(n)d 个模板已改为“%(status)s”。",
                "%(n)d 个模板已改为“%(status)s”。",
                moved,
            )
            % {"n": moved, "status": label},
            messages.SUCCESS,
        )
        for message in refused:
            self.message_user(request, message, messages.WARNING)


@admin.register(CouponSettings)
class CouponSettingsAdmin(SingletonSettingsAdmin):
    """One row: the list opens it; it can be neither added nor deleted."""

    form = CouponSettingsForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "large_face_value_from" in form.changed_data:
            moved = template_kinds_refresh(settings_row=obj)
            self.message_user(
                request,
                gettext("大面额起点已改为 %(cutoff)s，%(n)d 个模板的券类型随之改变。")
                % {"cutoff": format_yuan(obj.large_face_value_from), "n": moved},
                messages.INFO,
            )


@admin.register(StoreCouponAllowance)
class StoreCouponAllowanceAdmin(HqOnlyAdmin):
    list_display = ["store", "monthly_count", "updated_at"]
    list_filter = [("store__region", RelatedDropdownFilter)]
    list_filter_submit = True
    list_select_related = ["store"]
    search_fields = ["store__code", "store__name"]
    autocomplete_fields = ["store"]


@admin.register(WelcomePackItem)
class WelcomePackItemAdmin(HqOnlyAdmin):
    """The welcome pack (开卡礼), in the order the coupons are given."""

    form = WelcomePackItemForm
    list_display = ["position", "template", "template_kind", "template_face_value"]
    list_display_links = ["template"]
    list_select_related = ["template"]
    ordering = ["position", "id"]

    @display(description=_("券类型"))
    def template_kind(self, item):
        return item.template.get_kind_display()

    @display(description=_("面额"))
    def template_face_value(self, item):
        return format_yuan(item.template.face_value)
