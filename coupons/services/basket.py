"""Where a coupon may be used and on what: the till's store against the template's `usable_in`,
and the till's basket against the template's products, series and categories.

Both are read-only rules shared by validation and redemption, so the till's "can I use it?" and
the redemption itself can never disagree.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from members.models import Product, Store
from members.services import LineInput

from ..models import ZERO, CouponTemplate, UsableIn


@dataclass(frozen=True)
class Basket:
    """What the till is about to charge: the order amount (before any coupon) and its lines."""

    amount: Decimal
    lines: tuple[LineInput, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Coverage:
    """The part of a basket a template applies to."""

    restricted: bool
    eligible_amount: Decimal

    @property
    def covers_anything(self) -> bool:
        return self.eligible_amount > ZERO


def template_covers_store(template: CouponTemplate, store: Store) -> bool:
    """Whether the till's store is among the template's stores (by region, group, model, list).

    A member may shop at any store the template covers, not only at their home store.
    """
    match template.usable_in:
        case UsableIn.ALL:
            return True
        case UsableIn.REGIONS:
            return template.regions.filter(pk=store.region_id).exists()
        case UsableIn.STORE_GROUPS:
            return store.store_group_id is not None and (
                template.store_groups.filter(pk=store.store_group_id).exists()
            )
        case UsableIn.OPERATING_MODELS:
            return store.operating_model in (template.operating_models or [])
        case UsableIn.STORES:
            return template.stores.filter(pk=store.pk).exists()
    return False


def _restriction_q(template: CouponTemplate) -> Q | None:
    """The products a restricted template applies to, or None when it restricts nothing."""
    series = [name for name in template.series or [] if name]
    categories = [name for name in template.categories or [] if name]
    product_ids = list(template.products.values_list("pk", flat=True))
    if not (series or categories or product_ids):
        return None
    covered = Q(pk__in=product_ids) if product_ids else Q(pk__in=[])
    if series:
        covered |= Q(series__in=series)
    if categories:
        covered |= Q(category__in=categories)
    return covered


def basket_coverage(template: CouponTemplate, basket: Basket) -> Coverage:
    """The eligible amount: the whole basket for an unrestricted template, otherwise the sum of
    the lines whose product (by SKU), its series or its category the template names.

    A line with an unknown SKU is covered by nothing but an unrestricted template. The eligible
    amount never exceeds the order amount, whatever the lines add up to.
    """
    restriction = _restriction_q(template)
    if restriction is None:
        return Coverage(restricted=False, eligible_amount=basket.amount)
    skus = {line.sku for line in basket.lines}
    covered_skus = set(
        Product.objects.filter(restriction, sku__in=skus).values_list("sku", flat=True)
    )
    covered = sum((line.amount for line in basket.lines if line.sku in covered_skus), ZERO)
    return Coverage(restricted=True, eligible_amount=min(covered, basket.amount))
