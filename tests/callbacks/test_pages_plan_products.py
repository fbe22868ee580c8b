"""The promoted products (在促商品) of a store manager's plan in the portal: picked through a
search-as-you-type over SKU, name and series (the catalogue is never listed whole), saved through
plan_create / plan_update and audited, and used by the easy-first order."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from callbacks.models import CallbackPlan
from callbacks.services.plans import MAX_PROMOTED_PRODUCTS, plan_create, plan_update
from members.errors import RuleViolation
from tests.callbacks.factories import SegmentFactory
from tests.members.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment_a(store_a):
    return SegmentFactory(store=store_a, name="甲店二次分组")


@pytest.fixture
def catalogue():
    """30 products of one series and a mask of another."""
    products = [ProductFactory(sku=f"HY{n:03d}", name=f"水润精华{n}") for n in range(30)]
    mask = ProductFactory(sku="MASK-01", name="修护面膜", series="修护系列")
    return products, mask


def _form(segment, **overrides):
    today = timezone.localdate()
    data = {
        "name": "在促商品回访",
        "purpose": "新品",
        "script": "您好",
        "channel": "phone",
        "target_kind": "segment",
        "segment": segment.pk,
        "starts_on": today.isoformat(),
        "due_on": (today + timedelta(days=7)).isoformat(),
        "priority_order": "easy_first",
        "cooldown_days": "14",
    }
    data.update(overrides)
    return data


def _fields(segment, **overrides):
    today = timezone.localdate()
    fields = {
        "name": "草稿计划",
        "purpose": "回访",
        "script": "您好",
        "target_kind": "segment",
        "segment": segment,
        "starts_on": today,
        "due_on": today + timedelta(days=7),
    }
    return fields | overrides


def _audit(plan, event):
    return LogEntry.objects.get(object_pk=str(plan.pk), additional_data__event=event)


def test_a_manager_picks_promoted_products_on_the_new_plan_audited(
    client, manager_a, segment_a, catalogue
):
    products, mask = catalogue
    client.force_login(manager_a)

    response = client.post(
        "/callbacks/plans/new/",
        _form(segment_a, promoted_products=[mask.pk, products[0].pk]),
    )

    plan = CallbackPlan.objects.get()
    assert response.status_code == 302
    assert set(plan.promoted_products.all()) == {mask, products[0]}
    audit = _audit(plan, "callback_plan_created")
    assert audit.additional_data["fields"]["promoted_products"] == "HY000, MASK-01"


def test_the_form_never_lists_the_catalogue_only_the_chosen_products(
    client, manager_a, segment_a, catalogue, django_assert_max_num_queries
):
    products, mask = catalogue
    plan = plan_create(actor=manager_a, fields=_fields(segment_a), promoted_products=[mask])
    client.force_login(manager_a)

    new_page = client.get("/callbacks/plans/new/").content.decode()
    with django_assert_max_num_queries(12):
        edit_page = client.get(f"/callbacks/plans/{plan.pk}/edit/").content.decode()

    assert "HY0" not in new_page and "MASK-01" not in new_page
    assert 'id="product-search"' in new_page and 'name="q"' in new_page
    assert f'name="promoted_products" value="{mask.pk}" checked' in edit_page
    assert "HY0" not in edit_page


def test_editing_the_products_is_audited_with_before_and_after(
    client, manager_a, segment_a, catalogue
):
    products, mask = catalogue
    plan = plan_create(actor=manager_a, fields=_fields(segment_a), promoted_products=[mask])
    client.force_login(manager_a)

    response = client.post(
        f"/callbacks/plans/{plan.pk}/edit/",
        _form(segment_a, name="草稿计划", promoted_products=[products[1].pk, products[2].pk]),
    )

    assert response.status_code == 302
    assert set(plan.promoted_products.all()) == {products[1], products[2]}
    changes = _audit(plan, "callback_plan_updated").changes_dict
    assert changes["promoted_products"] == ["MASK-01", "HY001, HY002"]


def test_the_products_stay_when_an_edit_keeps_them_and_are_not_audited_as_changed(
    manager_a, segment_a, catalogue
):
    _products, mask = catalogue
    plan = plan_create(actor=manager_a, fields=_fields(segment_a), promoted_products=[mask])

    plan_update(
        plan=plan, actor=manager_a, fields=_fields(segment_a, name="新名"), promoted_products=[mask]
    )

    assert list(plan.promoted_products.all()) == [mask]
    changes = _audit(plan, "callback_plan_updated").changes_dict
    assert "promoted_products" not in changes and changes["name"] == ["草稿计划", "新名"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("999999", "所选商品不存在。"),
        ("abc", "所选商品不存在。"),
        ("99999999999999999999", "所选商品不存在。"),
    ],
)
def test_an_unknown_or_odd_product_is_a_400_in_chinese(
    client, manager_a, segment_a, value, message
):
    client.force_login(manager_a)

    response = client.post("/callbacks/plans/new/", _form(segment_a, promoted_products=[value]))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CallbackPlan.objects.exists()


def test_the_service_refuses_too_many_products(manager_a, segment_a):
    products = [ProductFactory() for _ in range(MAX_PROMOTED_PRODUCTS + 1)]

    with pytest.raises(RuleViolation) as refused:
        plan_create(actor=manager_a, fields=_fields(segment_a), promoted_products=products)

    assert refused.value.code == "plan_too_many_products"
    assert not CallbackPlan.objects.exists()


# --- The search --------------------------------------------------------------------------------


def _found(response) -> list[str]:
    return [product.sku for product in response.context["products"]]


@pytest.mark.parametrize(
    ("q", "expected"), [("mask", ["MASK-01"]), ("面膜", ["MASK-01"]), ("修护系", ["MASK-01"])]
)
def test_the_search_matches_sku_name_or_series(client, manager_a, catalogue, q, expected):
    client.force_login(manager_a)

    response = client.get("/callbacks/products/", {"q": q})

    assert response.status_code == 200
    assert _found(response) == expected
    assert 'name="promoted_products"' in response.content.decode()


def test_the_search_answers_at_most_20_and_keeps_the_ticked_first(
    client, manager_a, catalogue, django_assert_max_num_queries
):
    products, mask = catalogue
    client.force_login(manager_a)

    with django_assert_max_num_queries(4):
        response = client.get(
            "/callbacks/products/", {"q": "水润", "promoted_products": [mask.pk, products[5].pk]}
        )

    found = _found(response)
    assert found[:2] == ["HY005", "MASK-01"] and len(found) == 22
    assert found.count("HY005") == 1
    body = response.content.decode()
    assert f'value="{mask.pk}" checked' in body and f'value="{products[0].pk}">' in body


def test_an_empty_search_keeps_only_the_ticked(client, manager_a, catalogue):
    _products, mask = catalogue
    client.force_login(manager_a)

    response = client.get("/callbacks/products/", {"q": " ", "promoted_products": [mask.pk]})

    assert _found(response) == ["MASK-01"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "水" * 51}, "搜索词最多 50 个字。"),
        ({"promoted_products": "x"}, "所选商品无效"),
        ({"promoted_products": "99999999999999999999"}, "所选商品无效"),
        ({"promoted_products": [str(n) for n in range(1, 202)]}, "在促商品最多选 200 个。"),
    ],
)
def test_bad_search_input_is_a_400_in_chinese(client, manager_a, params, message):
    client.force_login(manager_a)

    response = client.get("/callbacks/products/", params)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_only_plan_makers_search_products(client, guide_a, region_manager, catalogue):
    for user in (guide_a, region_manager):
        client.force_login(user)
        assert client.get("/callbacks/products/", {"q": "mask"}).status_code == 403
    client.logout()
    assert client.get("/callbacks/products/", {"q": "mask"}).status_code == 302
