"""coupon_validate: every reason, in its fixed order, and the discount the basket allows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from coupons.models import CouponStatus, TemplateStatus, UsableIn
from coupons.services.basket import Basket
from coupons.services.redemption import coupon_validate
from members.models import OperatingModel
from members.phones import mask_phone
from members.services import LineInput
from tests.coupons.factories import CouponFactory, CouponTemplateFactory
from tests.members.factories import ProductFactory, StoreGroupFactory

pytestmark = pytest.mark.django_db


def basket(amount="302.00", *lines):
    """basket("300.00", ("SKU", "120.00"), ...): the till's order amount and its lines."""
    return Basket(
        amount=Decimal(amount),
        lines=tuple(LineInput(sku=sku, quantity=1, amount=Decimal(a)) for sku, a in lines),
    )


def check(coupon, store, *, phone=None, on=None, cart=None, code=None):
    return coupon_validate(
        store=store,
        code=code or coupon.code,
        phone=phone or coupon.member.phone,
        basket=cart or basket(),
        on=on or timezone.localdate(),
    )


@pytest.fixture
def coupon(member_a):
    """满200减30, usable in every store, valid from today for 30 days."""
    return CouponFactory(member=member_a)


@pytest.fixture
def products(db):
    return {
        "cleanser": ProductFactory(sku="CLEANSER-01", series="水润系列", category="清洁"),
        "eye": ProductFactory(sku="EYE-01", series="紧致系列", category="眼部护理"),
        "mask": ProductFactory(sku="MASK-01", series="舒缓系列", category="面膜"),
    }


def test_usable_coupon_gives_its_face_value(coupon, store_a):
    verdict = check(coupon, store_a)

    assert verdict.usable
    assert (verdict.reason_code, verdict.discount) == ("ok", Decimal("30.00"))
    assert verdict.reason == "该券可以使用，本单可抵扣 30.00 元。"
    assert verdict.coupon == coupon


def test_code_is_matched_ignoring_case_and_spaces(coupon, store_a):
    typed = f" {coupon.code[:4].lower()} {coupon.code[4:]} "

    assert check(coupon, store_a, code=typed).usable


def test_unknown_code_is_unknown_coupon(coupon, store_a):
    verdict = check(coupon, store_a, code="NOSUCHCODE")

    assert (verdict.usable, verdict.reason_code) == (False, "unknown_coupon")
    assert "NOSUCHCODE" in verdict.reason
    assert verdict.coupon is None


def test_another_members_phone_is_refused_without_naming_the_holder(coupon, store_a, member_b):
    verdict = check(coupon, store_a, phone=member_b.phone)

    assert verdict.reason_code == "not_this_member"
    assert mask_phone(member_b.phone) in verdict.reason
    holder = coupon.member
    for secret in (holder.name, holder.phone, mask_phone(holder.phone)):
        assert secret not in verdict.reason
    assert verdict.coupon is None


def test_phone_that_is_not_a_phone_is_not_the_holder(coupon, store_a):
    assert check(coupon, store_a, phone="12345").reason_code == "not_this_member"


def test_phone_in_another_format_is_the_holder(coupon, store_a):
    phone = coupon.member.phone

    assert check(coupon, store_a, phone=f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}").usable


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (CouponStatus.VOIDED, "voided"),
        (CouponStatus.REDEEMED, "already_used"),
        (CouponStatus.EXPIRED, "expired"),
    ],
)
def test_coupon_status_refuses(member_a, store_a, status, reason):
    coupon = CouponFactory(member=member_a, status=status)

    verdict = check(coupon, store_a)

    assert (verdict.usable, verdict.reason_code) == (False, reason)
    assert verdict.discount == 0


def test_coupon_past_its_last_day_is_expired_before_the_nightly_job(coupon, store_a):
    verdict = check(coupon, store_a, on=coupon.valid_until + timedelta(days=1))

    assert verdict.reason_code == "expired"
    assert coupon.valid_until.isoformat() in verdict.reason


def test_coupon_is_usable_on_its_last_day(coupon, store_a):
    assert check(coupon, store_a, on=coupon.valid_until).usable


def test_coupon_before_its_first_day_is_not_yet_valid(member_a, store_a):
    tomorrow = timezone.localdate() + timedelta(days=1)
    coupon = CouponFactory(member=member_a, valid_from=tomorrow)

    verdict = check(coupon, store_a)

    assert verdict.reason_code == "not_yet_valid"
    assert tomorrow.isoformat() in verdict.reason


def test_coupon_of_a_closed_template_stays_usable_until_it_expires(coupon, store_a):
    coupon.template.status = TemplateStatus.CLOSED
    coupon.template.save()

    assert check(coupon, store_a).usable


def test_min_spend_not_met_says_how_much_more_is_needed(coupon, store_a):
    verdict = check(coupon, store_a, cart=basket("150.00"))

    assert verdict.reason_code == "min_spend_not_met"
    assert "200.00" in verdict.reason
    assert "50.00" in verdict.reason


def test_basket_at_exactly_the_min_spend_is_enough(coupon, store_a):
    assert check(coupon, store_a, cart=basket("200.00")).usable


def test_discount_is_capped_by_the_eligible_amount(member_a, store_a):
    template = CouponTemplateFactory(face_value=Decimal("50.00"), min_spend=Decimal("0.00"))
    coupon = CouponFactory(member=member_a, batch__template=template)

    verdict = check(coupon, store_a, cart=basket("29.90"))

    assert verdict.usable
    assert verdict.discount == Decimal("29.90")


# --- Where the coupon may be used -------------------------------------------------------------


def _coupon_usable_in(member, usable_in, **targets):
    template = CouponTemplateFactory(usable_in=usable_in, **targets.pop("fields", {}))
    for relation, objects in targets.items():
        getattr(template, relation).set(objects)
    return CouponFactory(member=member, batch__template=template)


def test_template_for_named_stores_covers_only_them(member_a, store_a, store_b):
    coupon = _coupon_usable_in(member_a, UsableIn.STORES, stores=[store_b])

    verdict = check(coupon, store_a)

    assert verdict.reason_code == "not_this_store"
    assert store_a.name in verdict.reason
    assert check(coupon, store_b).usable


def test_template_for_regions_covers_their_stores(member_a, store_a, store_b):
    coupon = _coupon_usable_in(member_a, UsableIn.REGIONS, regions=[store_a.region])

    assert check(coupon, store_a).usable
    assert check(coupon, store_b).reason_code == "not_this_store"


def test_template_for_store_groups_covers_their_stores(member_a, store_a, store_b):
    coupon = _coupon_usable_in(member_a, UsableIn.STORE_GROUPS, store_groups=[store_b.store_group])

    assert check(coupon, store_b).usable
    assert check(coupon, store_a).reason_code == "not_this_store"


def test_store_without_a_group_is_not_in_any_store_group(member_a, store_a):
    coupon = _coupon_usable_in(member_a, UsableIn.STORE_GROUPS, store_groups=[StoreGroupFactory()])
    store_a.store_group = None
    store_a.save()

    assert check(coupon, store_a).reason_code == "not_this_store"


def test_template_for_operating_models_covers_stores_of_that_model(member_a, store_a, store_b):
    store_b.operating_model = OperatingModel.DIRECT
    store_b.save()
    coupon = _coupon_usable_in(
        member_a, UsableIn.OPERATING_MODELS, fields={"operating_models": [OperatingModel.DIRECT]}
    )

    assert check(coupon, store_b).usable
    assert check(coupon, store_a).reason_code == "not_this_store"


# --- What the coupon may be used on -------------------------------------------------------------


def _restricted_coupon(member, *, products=(), **fields):
    template = CouponTemplateFactory(
        face_value=Decimal("30.00"), min_spend=Decimal("100.00"), **fields
    )
    template.products.set(products)
    return CouponFactory(member=member, batch__template=template)


MIXED = (("CLEANSER-01", "128.00"), ("EYE-01", "174.00"), ("MASK-01", "60.00"))


@pytest.mark.parametrize(
    ("restriction", "eligible"),
    [
        ({"products": ["cleanser"]}, "128.00"),
        ({"series": ["紧致系列"]}, "174.00"),
        ({"categories": ["面膜", "清洁"]}, "188.00"),
        ({"products": ["mask"], "series": ["紧致系列"]}, "234.00"),
    ],
    ids=["product", "series", "categories", "product-or-series"],
)
def test_restricted_template_counts_only_the_lines_it_covers(
    member_a, store_a, products, restriction, eligible
):
    chosen = [products[name] for name in restriction.pop("products", [])]
    coupon = _restricted_coupon(member_a, products=chosen, **restriction)

    verdict = check(coupon, store_a, cart=basket("362.00", *MIXED))

    assert verdict.usable
    assert verdict.eligible_amount == Decimal(eligible)


def test_min_spend_counts_only_the_covered_lines(member_a, store_a, products):
    coupon = _restricted_coupon(member_a, series=["舒缓系列"])

    verdict = check(coupon, store_a, cart=basket("362.00", *MIXED))

    assert verdict.reason_code == "min_spend_not_met"
    assert "40.00" in verdict.reason


def test_restricted_template_without_a_covered_line_is_products_not_covered(
    member_a, store_a, products
):
    coupon = _restricted_coupon(member_a, products=[products["cleanser"]])

    verdict = check(coupon, store_a, cart=basket("234.00", ("EYE-01", "174.00"), ("MASK-01", "60")))

    assert verdict.reason_code == "products_not_covered"


def test_restricted_template_and_a_basket_without_lines_is_products_not_covered(
    member_a, store_a, products
):
    coupon = _restricted_coupon(member_a, categories=["清洁"])

    assert check(coupon, store_a, cart=basket("500.00")).reason_code == "products_not_covered"


def test_covered_free_gift_alone_does_not_make_the_basket_eligible(member_a, store_a, products):
    coupon = _restricted_coupon(member_a, categories=["清洁"])
    cart = basket("174.00", ("EYE-01", "174.00"), ("CLEANSER-01", "0.00"))

    assert check(coupon, store_a, cart=cart).reason_code == "products_not_covered"


def test_eligible_amount_never_exceeds_the_order_amount(member_a, store_a, products):
    template = CouponTemplateFactory(face_value=Decimal("50.00"), min_spend=Decimal("0.00"))
    template.products.set([products["cleanser"]])
    coupon = CouponFactory(member=member_a, batch__template=template)

    verdict = check(coupon, store_a, cart=basket("20.00", ("CLEANSER-01", "128.00")))

    assert verdict.discount == Decimal("20.00")


# --- The order of the checks -------------------------------------------------------------------


def test_holder_is_checked_before_the_coupons_state(member_a, member_b, store_a):
    coupon = CouponFactory(member=member_a, status=CouponStatus.REDEEMED)

    assert check(coupon, store_a, phone=member_b.phone).reason_code == "not_this_member"


def test_state_is_checked_before_the_store_and_the_basket(member_a, store_a, store_b):
    coupon = _coupon_usable_in(member_a, UsableIn.STORES, stores=[store_b])
    coupon.status = CouponStatus.EXPIRED
    coupon.save()

    assert check(coupon, store_a, cart=basket("1.00")).reason_code == "expired"


def test_store_is_checked_before_the_basket(member_a, store_a, store_b):
    coupon = _coupon_usable_in(member_a, UsableIn.STORES, stores=[store_b])

    assert check(coupon, store_a, cart=basket("1.00")).reason_code == "not_this_store"


def test_validation_queries_are_few(coupon, store_a, products, django_assert_max_num_queries):
    coupon.template.products.set([products["cleanser"]])

    with django_assert_max_num_queries(3):
        check(coupon, store_a, cart=basket("362.00", *MIXED))
