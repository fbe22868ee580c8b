"""HQ admin for what coupons brought back: the redemptions (read-only, from the POS) and the ROI
page, every store side by side for a month (券效: revenue per yuan of coupon, redemption rate)."""

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin import EmptyFieldListFilter
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter, RelatedDropdownFilter
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from jobs.dates import month_window
from members.admin_base import ReadOnlyAdmin

from .forms import RoiFilterForm
from .models import Redemption
from .selectors import RoiBy, RoiFilter, RoiRow, coupon_roi
from .templatetags.coupon_format import format_yuan

CHART_ROWS = 30
TABLE_ROWS = 500


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = [
        "coupon",
        "store",
        "order_no",
        "order_amount_shown",
        "discount_shown",
        "guide",
        "redeemed_at",
        "reversed_at",
    ]
    list_filter = [
        ("store", RelatedDropdownFilter),
        ("reversed_at", EmptyFieldListFilter),
        ("redeemed_at", RangeDateTimeFilter),
    ]
    list_filter_submit = True
    list_select_related = ["coupon", "store", "guide"]
    search_fields = ["order_no"]
    search_help_text = _("输入完整订单号或券码。")
    list_before_template = "admin/coupons/roi_link.html"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(order_no=term) | Q(coupon__code__in={term, term.upper()})), False

    @display(description=_("订单金额"), ordering="order_amount")
    def order_amount_shown(self, redemption):
        return format_yuan(redemption.order_amount)

    @display(description=_("抵扣金额"), ordering="discount")
    def discount_shown(self, redemption):
        return format_yuan(redemption.discount)

    def get_urls(self):
        view = self.admin_site.admin_view(self.roi_view)
        return [path("roi/", view, name="coupons_redemption_roi"), *super().get_urls()]

    def roi_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context, status = roi_page(request.user, request.GET)
        _in_admin_look(context["form"])
        context.update(
            self.admin_site.each_context(request),
            title=gettext("券效分析（各门店）"),
            opts=self.model._meta,
        )
        return TemplateResponse(request, "admin/coupons/roi.html", context, status=status)


def _in_admin_look(form) -> None:
    for field in form.fields.values():
        if hasattr(field, "choices"):
            field.widget = UnfoldAdminSelectWidget(choices=field.choices)
        else:
            field.widget = UnfoldAdminTextInputWidget(attrs={"type": "month"})


# --- The page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartBar:
    row: RoiRow
    per_yuan_width: int  # percent of the widest bar
    rate_width: int  # percent, capped at 100


def _descending(attribute: str):
    def key(row: RoiRow):
        value = getattr(row, attribute)
        return (value is None, -(value or 0), row.label)

    return key


SORT_KEYS = {
    "store": lambda row: row.label,
    "revenue_per_yuan": _descending("revenue_per_yuan"),
    "redemption_rate": _descending("redemption_rate"),
}


def roi_chart(rows: list[RoiRow]) -> list[ChartBar]:
    widest = max((row.revenue_per_yuan or 0 for row in rows), default=0)
    return [
        ChartBar(
            row=row,
            per_yuan_width=int((row.revenue_per_yuan or 0) * 100 / widest) if widest else 0,
            rate_width=min(100, int((row.redemption_rate or 0) * 100)),
        )
        for row in rows
    ]


def _where(cleaned) -> RoiFilter:
    return RoiFilter(
        region=cleaned.get("region"),
        store_group=cleaned.get("store_group"),
        kind=cleaned.get("kind") or "",
        template=cleaned.get("template"),
    )


def _query_without_sort(params) -> str:
    query = params.copy()
    query.pop("sort", None)
    return query.urlencode()


def roi_page(user, params) -> tuple[dict, int]:
    """(context, status): the filter form and, when it is valid, every store's figures."""
    data = params.copy()
    data.setdefault("month", timezone.localdate().strftime("%Y-%m"))
    form = RoiFilterForm(data)
    context = {"form": form, "report": None, "query": _query_without_sort(data)}
    if not form.is_valid():
        return context, 400
    cleaned = form.cleaned_data
    start, end = month_window(cleaned["month"])
    where = _where(cleaned)
    report = coupon_roi(user=user, start=start, end=end, by=RoiBy.STORE, where=where)
    sort = cleaned.get("sort") or "store"
    rows = sorted(report.rows, key=SORT_KEYS[sort])
    context.update(
        report=report,
        rows=rows[:TABLE_ROWS],
        more_rows=len(rows) > TABLE_ROWS,
        chart=roi_chart(sorted(rows, key=SORT_KEYS["revenue_per_yuan"])[:CHART_ROWS]),
        kinds=coupon_roi(user=user, start=start, end=end, by=RoiBy.KIND, where=where),
        sort=sort,
        month=cleaned["month"],
    )
    return context, 200
