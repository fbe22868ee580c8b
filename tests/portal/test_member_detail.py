from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import OwnershipChange
from tests.members.factories import (
    MemberFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    TagFactory,
)


def main_of(response):
    text = response.text
    return text[text.index("<main") : text.index("</main>")]


def detail(member):
    return reverse("portal:member_detail", kwargs={"pk": member.pk})


@pytest.fixture
def bought_member(member_a, store_a):
    """The DOMAIN.md example: two orders, 302 yuan average, a cleanser and an eye cream."""
    cleanser = ProductFactory(name="氨基酸洁面", series="雪润系列", category="清洁")
    eye_cream = ProductFactory(name="紧致眼霜", series="雪润系列", category="抗皱")
    first = OrderFactory(store=store_a, member=member_a, amount=Decimal("204.00"))
    OrderLineFactory(order=first, product=cleanser, amount=Decimal("204.00"))
    second = OrderFactory(store=store_a, member=member_a, amount=Decimal("400.00"))
    OrderLineFactory(order=second, product=eye_cream, amount=Decimal("400.00"))
    return member_a


@pytest.mark.django_db
def test_detail_shows_the_five_looks_card_first(login, manager_a, bought_member):
    response = login(manager_a).get(detail(bought_member))

    text = response.text
    assert response.status_code == 200
    assert text.index('id="five-looks"') < text.index('id="facts-title"')
    for expected in ["看年龄", "看了解", "看客单", "看买过", "看爱买"]:
        assert expected in text
    assert "¥302.00" in text
    assert "10-15" in text
    assert "1990" not in text
    assert "氨基酸洁面" in text and "紧致眼霜" in text
    assert "雪润系列" in text


@pytest.mark.django_db
def test_detail_shows_tenure_since_card_opened(login, manager_a, bought_member):
    response = login(manager_a).get(detail(bought_member))

    assert response.context["looks"].tenure in response.text
    assert "年" in response.context["looks"].tenure


@pytest.mark.django_db
def test_detail_masks_the_phone_for_store_staff(login, guide_a, member_a):
    response = login(guide_a).get(detail(member_a))

    assert member_a.phone not in response.text
    assert f"{member_a.phone[:3]}****{member_a.phone[-4:]}" in response.text
    assert "查看完整号码" in response.text


@pytest.mark.django_db
def test_detail_shows_tags_history_and_orders_newest_first(login, manager_a, member_a, store_a):
    member_a.tags.add(TagFactory(name="敏感肌"))
    OwnershipChange.objects.create(
        member=member_a,
        from_store=store_a,
        to_store=store_a,
        reason="原导购离职",
        changed_by=manager_a,
    )
    now = timezone.now()
    OrderFactory(store=store_a, member=member_a, order_no="OLD-1", paid_at=now - timedelta(days=9))
    OrderFactory(store=store_a, member=member_a, order_no="NEW-1", paid_at=now - timedelta(days=1))

    response = login(manager_a).get(detail(member_a))

    assert "敏感肌" in response.text
    assert "原导购离职" in response.text
    assert [o.order_no for o in response.context["orders"]] == ["NEW-1", "OLD-1"]
    assert response.text.index("NEW-1") < response.text.index("OLD-1")


@pytest.mark.django_db
def test_detail_caps_purchase_history_at_20(login, manager_a, member_a, store_a):
    OrderFactory.create_batch(21, store=store_a, member=member_a)

    response = login(manager_a).get(detail(member_a))

    assert len(response.context["orders"]) == 20
    assert "仅显示最近 20 笔订单" in response.text


@pytest.mark.django_db
def test_detail_of_another_stores_member_is_404(login, manager_a, canary_b):
    response = login(manager_a).get(detail(canary_b))

    assert response.status_code == 404
    assert "页面不存在或您无权访问" in response.text
    assert canary_b.name not in response.text


@pytest.mark.django_db
def test_guide_cannot_open_a_member_bound_to_another_guide(login, guide_a, other_guide_a, store_a):
    other = MemberFactory(home_store=store_a, guide=other_guide_a)

    response = login(guide_a).get(detail(other))

    assert response.status_code == 404


@pytest.mark.django_db
def test_missing_member_gets_the_same_404_page(login, manager_a, canary_b):
    client = login(manager_a)

    missing = client.get(reverse("portal:member_detail", kwargs={"pk": 999999}))
    not_yours = client.get(detail(canary_b))

    assert missing.status_code == not_yours.status_code == 404
    assert main_of(missing) == main_of(not_yours)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/members/abc/", "/members/-1/", "/members/1.5/phone/"])
def test_malformed_member_ids_are_404(login, manager_a, path):
    response = login(manager_a).get(path)

    assert response.status_code == 404


@pytest.mark.django_db
def test_detail_query_count_does_not_grow_with_orders(
    login, manager_a, member_a, store_a, django_assert_max_num_queries
):
    for order in OrderFactory.create_batch(5, store=store_a, member=member_a):
        OrderLineFactory.create_batch(2, order=order)
    client = login(manager_a)

    # The card (member, figures, RFM, tags, orders) and its coupon section (the coupons, the
    # templates a guide may hand out, the store's allowance left this month).
    with django_assert_max_num_queries(17):
        response = client.get(detail(member_a))

    assert len(response.context["orders"]) == 5
