"""Lookups loaded once per chunk (one query each), and the checks importers make against them."""

from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext as _

from members.models import Order, Role, Store, User


def by_key(objects: Iterable, attr: str) -> dict:
    return {getattr(obj, attr): obj for obj in objects}


def stores_by_code(codes: Iterable[str]) -> dict[str, Store]:
    return by_key(Store.objects.filter(code__in=set(codes)).only("id", "code"), "code")


def guides_by_code(codes: Iterable[str]) -> dict[str, User]:
    codes = {code for code in codes if code}
    if not codes:
        return {}
    staff = User.objects.filter(guide_code__in=codes).only(
        "id", "guide_code", "store_id", "role", "is_active"
    )
    return by_key(staff, "guide_code")


def orders_by_key(pairs: Iterable[tuple[int, str]], *fields: str) -> dict[tuple[int, str], Order]:
    """The existing orders among these (store id, order number) pairs, keyed by the pair.

    One query, written as an OR of per-store IN lists so that Postgres probes the unique
    (store, order_no) index; a plain store IN (...) AND order_no IN (...) makes it read every
    order of those stores, which grows with the table.
    """
    numbers_by_store = defaultdict(set)
    for store_id, order_no in pairs:
        numbers_by_store[store_id].add(order_no)
    if not numbers_by_store:
        return {}
    condition = reduce(
        or_, (Q(store_id=store, order_no__in=nos) for store, nos in numbers_by_store.items())
    )
    orders = Order.objects.filter(condition).order_by().only("id", "store_id", "order_no", *fields)
    return {(order.store_id, order.order_no): order for order in orders}


def unknown_store_reason() -> str:
    return _("门店编码不存在，请先导入门店。")


def not_a_member_reason() -> str:
    return _("该手机号不是会员，请先导入会员。")


def below_refunded_reason(refunded) -> str:
    return _("金额小于该订单已退款的 %(refunded)s 元。") % {"refunded": refunded}


def guide_problem(guide: User | None, store: Store) -> str | None:
    """Why this guide cannot be used for this store, or None when they are its active guide."""
    if guide is None:
        return guide_problem_reason(GuideProblem.UNKNOWN, store.code)
    if guide.role != Role.GUIDE or not guide.is_active:
        return guide_problem_reason(GuideProblem.NOT_A_GUIDE, store.code)
    if guide.store_id != store.pk:
        return guide_problem_reason(GuideProblem.OTHER_STORE, store.code)
    return None


class GuideProblem:
    """The checks of `guide_problem`, in its order; the set-based order import makes the same
    checks in SQL and words them here."""

    UNKNOWN = "guide_unknown"
    NOT_A_GUIDE = "guide_not_a_guide"
    OTHER_STORE = "guide_other_store"


def guide_problem_reason(problem: str, store_code: str) -> str:
    if problem == GuideProblem.UNKNOWN:
        return _("导购编码不存在。")
    if problem == GuideProblem.NOT_A_GUIDE:
        return _("该编码对应的员工不是在职导购。")
    return _("该导购不属于门店 %(store)s。") % {"store": store_code}
