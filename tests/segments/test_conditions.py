"""Every built-in condition: a member that matches and one that does not."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from members.models import Member, MemberTag, OperatingModel, RfmGroup, Source
from members.segments import rule_q
from tests.members.factories import (
    MemberFactory,
    MemberRfmFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    StoreFactory,
    StoreGroupFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def matching(*items, op="and", today=TODAY) -> set[int]:
    rule = {"op": op, "items": list(items)}
    return set(Member.objects.filter(rule_q(rule, today=today)).values_list("pk", flat=True))


def rfm(**fields):
    return MemberRfmFactory(**fields).member


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def test_rfm_group_matches_the_chosen_groups():
    value = rfm(group=RfmGroup.IMPORTANT_VALUE)
    winback = rfm(group=RfmGroup.ORDINARY_WINBACK)
    dormant = rfm(group=RfmGroup.IMPORTANT_WINBACK)
    chosen = matching({"type": "rfm_group", "groups": ["important_value", "ordinary_winback"]})
    assert chosen == {value.pk, winback.pk}
    assert dormant.pk not in chosen


def test_no_purchase_group_includes_members_not_yet_grouped():
    never = rfm(group=RfmGroup.NO_PURCHASE, order_count=0)
    newcomer = MemberFactory()
    value = rfm(group=RfmGroup.IMPORTANT_VALUE)
    assert matching({"type": "rfm_group", "groups": ["no_purchase"]}) == {never.pk, newcomer.pk}
    assert value.pk not in matching({"type": "rfm_group", "groups": ["no_purchase"]})


@pytest.mark.parametrize(
    ("key", "field", "inside", "below", "above", "bounds"),
    [
        ("rfm_r", "recency_days", 30, 9, 61, {"min": 10, "max": 60}),
        ("rfm_f", "frequency", 3, 1, 6, {"min": 2, "max": 5}),
        ("rfm_m", "monetary", Decimal("500"), Decimal("99.99"), Decimal("1000.01"),
         {"min": "100", "max": "1000"}),
        ("rfm_l", "lifetime_days", 365, 29, 800, {"min": 30, "max": 730}),
        ("order_count", "order_count", 5, 1, 11, {"min": 2, "max": 10}),
        ("total_spent", "total_spent", Decimal("2000"), Decimal("10"), Decimal("9000"),
         {"min": "100", "max": "5000"}),
    ],
)  # fmt: skip
def test_range_conditions_are_inclusive(key, field, inside, below, above, bounds):
    at_min = rfm(**{field: bounds["min"]})
    at_max = rfm(**{field: bounds["max"]})
    middle = rfm(**{field: inside})
    low, high = rfm(**{field: below}), rfm(**{field: above})
    assert matching({"type": key, **bounds}) == {at_min.pk, at_max.pk, middle.pk}
    assert low.pk in matching({"type": key, "max": bounds["min"]})
    assert high.pk in matching({"type": key, "min": bounds["max"]})


def test_average_ticket_is_total_spent_per_order():
    gold = rfm(order_count=3, total_spent=Decimal("1200.00"))  # 400 a ticket
    small = rfm(order_count=4, total_spent=Decimal("1200.00"))  # 300
    never = rfm(order_count=0, total_spent=Decimal("0"))
    assert matching({"type": "average_ticket", "min": "400"}) == {gold.pk}
    assert matching({"type": "average_ticket", "max": "350"}) == {small.pk}
    assert never.pk not in matching({"type": "average_ticket", "max": "350"})


def test_days_since_last_purchase_range_counts_from_today():
    day_40 = rfm(last_purchase_on=days_ago(40))
    day_60 = rfm(last_purchase_on=days_ago(60))
    day_39 = rfm(last_purchase_on=days_ago(39))
    day_61 = rfm(last_purchase_on=days_ago(61))
    never = rfm(last_purchase_on=None)
    chosen = matching({"type": "days_since_purchase", "min": 40, "max": 60})
    assert chosen == {day_40.pk, day_60.pk}
    assert not {day_39.pk, day_61.pk, never.pk} & chosen


@pytest.mark.parametrize(
    ("phase", "inside", "outside"),
    [
        ("care", [0, 15], [16]),
        ("quiet", [16, 39], [15, 40]),
        ("marketing", [40, 60], [39, 61]),
        ("lapsing", [61, 180], [60, 181]),
        ("lost", [181, 900], [180]),
    ],
)
def test_purchase_phases_of_the_45_day_cycle(phase, inside, outside):
    members = {days: rfm(last_purchase_on=days_ago(days)).pk for days in inside + outside}
    chosen = matching({"type": "purchase_phase", "phases": [phase]})
    assert chosen == {members[days] for days in inside}


def test_several_phases_are_alternatives():
    care = rfm(last_purchase_on=days_ago(3))
    lost = rfm(last_purchase_on=days_ago(400))
    quiet = rfm(last_purchase_on=days_ago(20))
    assert matching({"type": "purchase_phase", "phases": ["care", "lost"]}) == {care.pk, lost.pk}
    assert quiet.pk not in matching({"type": "purchase_phase", "phases": ["care", "lost"]})


def _bought(member, product, *, days_ago_paid: int, refunded=False):
    paid_at = datetime.combine(TODAY - timedelta(days=days_ago_paid), time(12), tzinfo=SHANGHAI)
    order = OrderFactory(
        store=member.home_store,
        member=member,
        paid_at=paid_at,
        amount=Decimal("100.00"),
        refunded_amount=Decimal("100.00") if refunded else Decimal("0"),
    )
    OrderLineFactory(order=order, product=product, amount=Decimal("100.00"))


@pytest.mark.parametrize(
    ("scope", "value"), [("sku", "SKU-EYE"), ("series", "紧致系列"), ("category", "抗老")]
)
def test_bought_within_days_by_sku_series_or_category(scope, value):
    eye_cream = ProductFactory(sku="SKU-EYE", series="紧致系列", category="抗老")
    cleanser = ProductFactory(sku="SKU-CL", series="水润系列", category="保湿")
    recent, at_edge, too_old = MemberFactory(), MemberFactory(), MemberFactory()
    other_product, refunded = MemberFactory(), MemberFactory()
    _bought(recent, eye_cream, days_ago_paid=10)
    _bought(at_edge, eye_cream, days_ago_paid=90)
    _bought(too_old, eye_cream, days_ago_paid=91)
    _bought(other_product, cleanser, days_ago_paid=5)
    _bought(refunded, eye_cream, days_ago_paid=5, refunded=True)
    chosen = matching({"type": "bought", "scope": scope, "value": value, "days": 90})
    assert chosen == {recent.pk, at_edge.pk}


def test_has_and_lacks_a_tag():
    tag = TagFactory()
    tagged, untagged = MemberFactory(), MemberFactory()
    MemberTag.objects.create(member=tagged, tag=tag)
    assert matching({"type": "has_tag", "tag": tag.pk}) == {tagged.pk}
    assert matching({"type": "lacks_tag", "tag": tag.pk}) == {untagged.pk}


def test_birthday_this_month_next_month_and_a_given_month():
    may = MemberFactory(birthday=date(1990, 5, 1))
    june = MemberFactory(birthday=date(1985, 6, 30))
    december = MemberFactory(birthday=date(2000, 12, 24))
    MemberFactory(birthday=None)
    assert matching({"type": "birthday_month", "when": "this"}) == {may.pk}
    assert matching({"type": "birthday_month", "when": "next"}) == {june.pk}
    assert matching({"type": "birthday_month", "when": "given", "month": 12}) == {december.pk}


def test_next_month_after_december_is_january():
    january = MemberFactory(birthday=date(1990, 1, 9))
    MemberFactory(birthday=date(1990, 12, 9))
    assert matching({"type": "birthday_month", "when": "next"}, today=date(2026, 12, 5)) == {
        january.pk
    }


def test_card_tenure_counts_completed_years():
    exactly_3 = MemberFactory(joined_at=date(2023, 5, 20))
    almost_3 = MemberFactory(joined_at=date(2023, 5, 21))
    almost_6 = MemberFactory(joined_at=date(2020, 5, 21))  # 5 full years
    six = MemberFactory(joined_at=date(2020, 5, 20))
    chosen = matching({"type": "card_tenure", "min": 3, "max": 5})
    assert chosen == {exactly_3.pk, almost_6.pk}
    assert not {almost_3.pk, six.pk} & chosen


def test_joined_this_month_and_within_days():
    first_of_month = MemberFactory(joined_at=date(2026, 5, 1))
    last_month = MemberFactory(joined_at=date(2026, 4, 30))
    long_ago = MemberFactory(joined_at=date(2020, 1, 1))
    assert matching({"type": "joined", "when": "this_month"}) == {first_of_month.pk}
    assert matching({"type": "joined", "when": "within_days", "days": 20}) == {
        first_of_month.pk,
        last_month.pk,
    }
    assert long_ago.pk not in matching({"type": "joined", "when": "within_days", "days": 20})


def test_store_region_store_group_and_operating_model():
    group = StoreGroupFactory()
    direct = StoreFactory(operating_model=OperatingModel.DIRECT, store_group=group)
    franchise = StoreFactory(operating_model=OperatingModel.FRANCHISE)
    in_direct, in_franchise = MemberFactory(home_store=direct), MemberFactory(home_store=franchise)
    assert matching({"type": "store", "stores": [direct.pk]}) == {in_direct.pk}
    assert matching({"type": "region", "regions": [franchise.region_id]}) == {in_franchise.pk}
    assert matching({"type": "store_group", "store_groups": [group.pk]}) == {in_direct.pk}
    assert matching({"type": "operating_model", "operating_models": ["franchise"]}) == {
        in_franchise.pk
    }


def test_recruitment_source_and_marketing_opt_out():
    referral = MemberFactory(source=Source.REFERRAL)
    ground = MemberFactory(source=Source.GROUND, marketing_opt_out=True)
    assert matching({"type": "source", "sources": ["referral"]}) == {referral.pk}
    assert matching({"type": "marketing_opt_out", "opted_out": "yes"}) == {ground.pk}
    assert matching({"type": "marketing_opt_out", "opted_out": "no"}) == {referral.pk}
