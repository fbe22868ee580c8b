"""Return on coupons (券效 ROI): what was issued, what was used, and the revenue of the orders the
coupons were used on, grouped by store, month, template, batch, region, store group or kind.

Every figure is one aggregate query, within the user's scope:
- issued: coupons whose `issued_at` is in [start, end), by the issuing store (`coupon.store`, the
  member's home store when issued);
- redeemed: live redemptions (reversals excluded) whose `redeemed_at` is in [start, end), by the
  redeeming store (the till that took the coupon) and by the coupon's template, batch and kind;
- revenue: `order_amount` of those redemptions, each order (store, order number) counted once per
  row even when it used two coupons, and once in the totals.
The redeemed face value is the redemption's `discount`: the coupon's face value at the till.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DateField, Exists, F, OuterRef, Q, Sum, TextChoices, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jobs.dates import local_day_start
from members.models import Region, Store, StoreGroup
from members.scope import scope_q

from .models import Coupon, CouponKind, CouponTemplate, IssueBatch, Redemption

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")


class RoiBy(TextChoices):
    STORE = "store", _("门店")
    MONTH = "month", _("月份")
    TEMPLATE = "template", _("模板")
    BATCH = "batch", _("批次")
    REGION = "region", _("片区")
    STORE_GROUP = "store_group", _("店群")
    KIND = "kind", _("券类型")


# --- The window ---------------------------------------------------------------------------------


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_instant(day: date | datetime) -> datetime:
    """A local date as the aware instant of its midnight; an aware datetime as it is."""
    if isinstance(day, datetime):
        return day
    return local_day_start(day)


# --- Narrowing within the scope -----------------------------------------------------------------


@dataclass(frozen=True)
class RoiFilter:
    """Optional narrowing of the figures; it never widens the user's scope."""

    store: Store | None = None
    region: Region | None = None
    store_group: StoreGroup | None = None
    kind: str = ""
    template: CouponTemplate | None = None
    batch: IssueBatch | None = None

    def q(self, *, store: str, coupon: str = "") -> Q:
        """`store`: the path to the store the row counts for; `coupon`: the path prefix to the
        coupon ("" on Coupon, "coupon__" on Redemption)."""
        template = f"{coupon}template"
        q = Q()
        if self.store is not None:
            q &= Q(**{store: self.store})
        if self.region is not None:
            q &= Q(**{f"{store}__region": self.region})
        if self.store_group is not None:
            q &= Q(**{f"{store}__store_group": self.store_group})
        if self.kind:
            q &= Q(**{f"{template}__kind": self.kind})
        if self.template is not None:
            q &= Q(**{template: self.template})
        if self.batch is not None:
            q &= Q(**{f"{coupon}batch": self.batch})
        return q


# --- Rows ---------------------------------------------------------------------------------------


def _ratio(part, whole, places: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(places, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RoiRow:
    key: object
    label: str
    issued_count: int = 0
    issued_face_value: Decimal = ZERO
    redeemed_count: int = 0
    redeemed_face_value: Decimal = ZERO
    revenue: Decimal = ZERO

    @property
    def redemption_rate(self) -> Decimal | None:
        """Redeemed count / issued count (a fraction, 4 places); None when nothing was issued."""
        return _ratio(self.redeemed_count, self.issued_count, RATE_PLACES)

    @property
    def revenue_per_yuan(self) -> Decimal | None:
        """Order revenue per yuan of coupon used (2 places); None when no coupon was used."""
        return _ratio(self.revenue, self.redeemed_face_value, CENT)


@dataclass(frozen=True)
class RoiReport:
    by: str
    start: date | datetime
    end: date | datetime
    rows: list[RoiRow]
    total: RoiRow

    def row(self, key) -> RoiRow | None:
        return next((row for row in self.rows if row.key == key), None)


# --- The queries --------------------------------------------------------------------------------

# The key of a row, from a coupon (issued) and from a redemption (redeemed, revenue).
_PATHS = {
    RoiBy.STORE: ("store_id", "store_id"),
    RoiBy.REGION: ("store__region_id", "store__region_id"),
    RoiBy.STORE_GROUP: ("store__store_group_id", "store__store_group_id"),
    RoiBy.TEMPLATE: ("template_id", "coupon__template_id"),
    RoiBy.BATCH: ("batch_id", "coupon__batch_id"),
    RoiBy.KIND: ("template__kind", "coupon__template__kind"),
    RoiBy.MONTH: ("issued_at", "redeemed_at"),
}
NO_STORE_GROUP = 0


def _key(by: str, *, redeemed: bool):
    path = _PATHS[by][redeemed]
    if by == RoiBy.MONTH:
        return TruncMonth(path, output_field=DateField(), tzinfo=local_tz())
    if by == RoiBy.STORE_GROUP:
        # Stores outside any group form one row (a NULL key would never equal itself below).
        return Coalesce(F(path), Value(NO_STORE_GROUP))
    return F(path)


def _issued(user, start, end, where: RoiFilter):
    return Coupon.objects.filter(
        scope_q(user, store="store", guide="member__guide"),
        where.q(store="store"),
        issued_at__gte=local_instant(start),
        issued_at__lt=local_instant(end),
    )


def _redeemed(user, start, end, where: RoiFilter):
    return Redemption.objects.live().filter(
        scope_q(user, store="store", guide="coupon__member__guide"),
        where.q(store="store", coupon="coupon__"),
        redeemed_at__gte=local_instant(start),
        redeemed_at__lt=local_instant(end),
    )


def _first_of_each_order(redemptions, *, keyed: bool = False):
    """One redemption per order (store, order number), and per row `key` when `keyed`: the
    first of them carries the order's amount, so an order that used two coupons counts once."""
    earlier = redemptions.filter(
        store=OuterRef("store"), order_no=OuterRef("order_no"), pk__lt=OuterRef("pk")
    )
    if keyed:
        earlier = earlier.filter(key=OuterRef("key"))
    return redemptions.filter(~Exists(earlier))


def _grouped(queryset, **aggregates) -> dict:
    """{key: {aggregate: value}} of a queryset annotated with its row `key`."""
    rows = queryset.values("key").annotate(**aggregates).order_by()
    return {row.pop("key"): row for row in rows}


def _figures(user, start, end, by: str, where: RoiFilter) -> dict[object, dict]:
    issued_key, redeemed_key = _key(by, redeemed=False), _key(by, redeemed=True)
    redemptions = _redeemed(user, start, end, where)
    parts = [
        _grouped(
            _issued(user, start, end, where).annotate(key=issued_key),
            issued_count=Count("pk"),
            issued_face_value=Sum("face_value"),
        ),
        _grouped(
            redemptions.annotate(key=redeemed_key),
            redeemed_count=Count("pk"),
            redeemed_face_value=Sum("discount"),
        ),
        _grouped(
            _first_of_each_order(redemptions.annotate(key=redeemed_key), keyed=True),
            revenue=Sum("order_amount"),
        ),
    ]
    figures: dict[object, dict] = {}
    for part in parts:
        for key, values in part.items():
            figures.setdefault(key, {}).update(values)
    return figures


def _total(user, start, end, where: RoiFilter, rows: list[RoiRow]) -> RoiRow:
    revenue = _first_of_each_order(_redeemed(user, start, end, where)).aggregate(
        revenue=Sum("order_amount")
    )["revenue"]
    return RoiRow(
        key=None,
        label=gettext("合计"),
        issued_count=sum(row.issued_count for row in rows),
        issued_face_value=sum((row.issued_face_value for row in rows), ZERO),
        redeemed_count=sum(row.redeemed_count for row in rows),
        redeemed_face_value=sum((row.redeemed_face_value for row in rows), ZERO),
        revenue=revenue or ZERO,
    )


# --- Labels -------------------------------------------------------------------------------------


def _month_label(day: date) -> str:
    return gettext("%(year)d年%(month)d月") % {"year": day.year, "month": day.month}


def _labels(by: str, keys) -> dict:
    """Row labels in one query at most."""
    if by == RoiBy.MONTH:
        return {key: _month_label(key) for key in keys}
    if by == RoiBy.KIND:
        return {key: CouponKind(key).label for key in keys}
    if by == RoiBy.BATCH:
        batches = IssueBatch.objects.filter(pk__in=keys).select_related("template", "store")
        return {batch.pk: _batch_label(batch) for batch in batches}
    model = {
        RoiBy.STORE: Store,
        RoiBy.REGION: Region,
        RoiBy.STORE_GROUP: StoreGroup,
        RoiBy.TEMPLATE: CouponTemplate,
    }[by]
    labels = {obj.pk: str(obj) for obj in model.objects.filter(pk__in=keys)}
    if by == RoiBy.STORE_GROUP:
        labels[NO_STORE_GROUP] = gettext("未分店群")
    return labels


def _batch_label(batch: IssueBatch) -> str:
    owner = batch.store.name if batch.store_id else gettext("总部")
    return f"{batch.template.name} #{batch.pk}（{owner}）"


def _sort_key(by: str, labels: dict):
    if by == RoiBy.MONTH:
        return lambda row: row.key
    return lambda row: (str(labels.get(row.key, "")), str(row.key))


# --- The selector -------------------------------------------------------------------------------


def coupon_roi(*, user, start, end, by: str, where: RoiFilter | None = None) -> RoiReport:
    """Coupon ROI rows grouped `by` (a RoiBy) for [start, end) (local dates or aware instants),
    within what `user` may see: HQ everything, a region manager their region's stores, a store
    manager their store, a guide the coupons of their own members."""
    by = RoiBy(by)
    where = where or RoiFilter()
    figures = _figures(user, start, end, by, where)
    labels = _labels(by, [key for key in figures if key is not None])
    rows = [
        RoiRow(key=key, label=labels.get(key, str(key)), **values)
        for key, values in figures.items()
    ]
    rows.sort(key=_sort_key(by, labels))
    return RoiReport(by, start, end, rows, _total(user, start, end, where, rows))
