"""Template writes: the kind follows the minimum spend and HQ's large/small cut-off."""

from django.db import transaction

from ..models import CouponSettings, CouponTemplate, coupon_kind


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
