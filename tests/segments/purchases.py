"""Builders for the purchase-summary tests: a small catalogue, purchases at local times, the
summary built as of a date, and the two answers to "who bought ... within N days"."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from members.models import Member, Order, Refund
from members.purchases import bought_q, buyers_direct, purchase_summary_refresh
from members.services import order_refund
from tests.members.factories import OrderFactory, OrderLineFactory, ProductFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The summary's date (the nightly job's "yesterday"), and the day the rules are asked on.
SUMMARY_DAY = date(2026, 6, 29)
TODAY = SUMMARY_DAY + timedelta(days=1)


def catalogue() -> dict:
    """Two series, three categories, four SKUs."""
    return {
        "eye": ProductFactory(sku="EYE", series="紧致系列", category="抗老"),
        "serum": ProductFactory(sku="SERUM", series="紧致系列", category="修护"),
        "cleanser": ProductFactory(sku="CL", series="水润系列", category="保湿"),
        "mask": ProductFactory(sku="MASK", series="水润系列", category="抗老"),
    }


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def days_before(days: int, *, hour: int = 12, minute: int = 0, today: date = TODAY) -> datetime:
    return local(today - timedelta(days=days), hour, minute)


def buy(member, *products, paid_at: datetime, amount="100.00", refunded="0.00") -> Order:
    order = OrderFactory(
        store=member.home_store,
        member=member,
        paid_at=paid_at,
        amount=Decimal(amount),
        refunded_amount=Decimal(refunded),
    )
    for product in products:
        OrderLineFactory(order=order, product=product, amount=Decimal("10.00"))
    return order


def recorded_long_ago() -> None:
    """Everything so far was recorded (created, edited, refunded) before any summary began."""
    earlier = timezone.now() - timedelta(days=1)
    Order.objects.update(updated_at=earlier, created_at=earlier)
    Refund.objects.update(created_at=earlier)


def summarise(day: date = SUMMARY_DAY, **options):
    return purchase_summary_refresh(business_date=day, **options)


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def fast(scope: str, value: str, days: int, *, today: date = TODAY) -> set[int]:
    products = Q(**{scope: value})
    return _ids(Member.objects.filter(bought_q(products=products, days=days, today=today)))


def direct(scope: str, value: str, days: int, *, today: date = TODAY) -> set[int]:
    products = Q(**{scope: value})
    buyers = buyers_direct(products=products, days=days, today=today)
    return _ids(Member.objects.filter(pk__in=buyers))


def bought(scope: str, value: str, days: int, *, today: date = TODAY) -> set[int]:
    """Who bought, asked both ways; the two answers must agree."""
    answer = fast(scope, value, days, today=today)
    assert answer == direct(scope, value, days, today=today)
    return answer


def refund_in_full(order: Order) -> None:
    """A refund recorded now, as the POS API records it."""
    order_refund(
        order=order,
        refund_no=f"R{order.pk}",
        amount=order.amount - order.refunded_amount,
        refunded_at=timezone.now(),
    )
