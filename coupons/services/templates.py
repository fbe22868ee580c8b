"""Template rules: the kind follows the minimum spend and HQ's large/small cut-off; where a
template's coupons are usable (issuing covers members of those stores, a till must be one)."""

from django.db import transaction
from django.db.models import QuerySet

from members.models import Store

from ..models import CouponSettings, CouponTemplate, UsableIn, coupon_kind


def template_kind_assign(template: CouponTemplate, *, settings_row: CouponSettings | None = None):
    """Set `template.kind` from its face value and minimum spend (not saved)."""
    cutoff = (settings_row or CouponSettings.current()).large_face_value_from
    template.kind = coupon_kind(
        face_value=template.face_value, min_spend=template.min_spend, large_from=cutoff
    )
    return template


@transaction.atomic
def template_kinds_refresh(*, settings_row: CouponSettings) -> int:
    """Re-derive every template's kind after the cut-off changed; returns how many moved."""
    moved = []
    for template in CouponTemplate.objects.select_for_update().only(
        "pk", "face_value", "min_spend", "kind"
    ):
        before = template.kind
        if template_kind_assign(template, settings_row=settings_row).kind != before:
            moved.append(template)
    CouponTemplate.objects.bulk_update(moved, ["kind"])
    return len(moved)


def stores_covering(template: CouponTemplate) -> QuerySet[Store] | None:
    """The stores where the template's coupons are usable; None means every store."""
    match template.usable_in:
        case UsableIn.REGIONS:
            return Store.objects.filter(region__in=template.regions.values("pk"))
        case UsableIn.STORE_GROUPS:
            return Store.objects.filter(store_group__in=template.store_groups.values("pk"))
        case UsableIn.OPERATING_MODELS:
            return Store.objects.filter(operating_model__in=list(template.operating_models))
        case UsableIn.STORES:
            return Store.objects.filter(pk__in=template.stores.values("pk"))
    return None


def template_covers_store(template: CouponTemplate, store: Store) -> bool:
    """Whether `store` is among the template's stores; a member may use a coupon at any of them,
    not only at their home store."""
    stores = stores_covering(template)
    return stores is None or stores.filter(pk=store.pk).exists()
