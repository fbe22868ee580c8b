"""How coupon figures read: money as ¥1,234.00, rates as 12.5%, revenue per yuan as 3.20."""

from decimal import Decimal

from django import template

register = template.Library()

EMPTY = "—"


def format_yuan(value) -> str:
    if value is None or value == "":
        return EMPTY
    return f"¥{Decimal(value):,.2f}"


@register.filter
def yuan(value) -> str:
    return format_yuan(value)


@register.filter
def percent(fraction) -> str:
    """A fraction (0.1250) as a percentage with one decimal (12.5%)."""
    if fraction is None or fraction == "":
        return EMPTY
    return f"{Decimal(fraction) * 100:.1f}%"


@register.filter
def per_yuan(value) -> str:
    return EMPTY if value is None or value == "" else f"{Decimal(value):.2f}"
