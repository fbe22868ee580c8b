"""Where a coupon may be used and on what: the till's store against the template's `usable_in`,
and the till's basket against the template's products, series and categories.

Both are read-only rules shared by validation and redemption, so the till's "can I use it?" and
the redemption itself can never disagree.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from members.models import Product
from members.services import LineInput

from ..models import ZERO, CouponTemplate


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
