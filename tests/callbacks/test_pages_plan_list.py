"""The portal's plan list: paged (20 a page), filtered by status, another store's plans never
listed, bad filters and pages a 4xx."""

import pytest

from callbacks.models import PlanStatus
from tests.callbacks.conftest import active_plan
from tests.callbacks.factories import CallbackPlanFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def _plans(response) -> list:
    return list(response.context["page"].object_list)


def _draft(store, **fields):
    return CallbackPlanFactory(store=store, segment=SegmentFactory(store=store), **fields)


def test_more_than_a_page_of_plans_is_paged_and_every_plan_is_reachable(client, manager_a, store_a):
    made = {_draft(store_a).pk for _ in range(45)}
    client.force_login(manager_a)

    pages = [client.get("/callbacks/plans/", {"page": n}) for n in (1, 2, 3)]

    assert [len(_plans(page)) for page in pages] == [20, 20, 5]
    assert {plan.pk for page in pages for plan in _plans(page)} == made
    assert "共 45 个计划" in pages[0].content.decode()
    assert 'href="?page=2"' in pages[0].content.decode()


def test_the_list_filters_by_status_and_the_pager_keeps_the_filter(client, manager_a, store_a):
    for _ in range(21):
        active_plan(store_a)
    _draft(store_a, name="草稿一")
    client.force_login(manager_a)

    drafts = client.get("/callbacks/plans/", {"status": "draft"})
    active = client.get("/callbacks/plans/", {"status": "active"})

    assert [plan.name for plan in _plans(drafts)] == ["草稿一"]
    assert all(plan.status == PlanStatus.ACTIVE for plan in _plans(active))
    assert active.context["page"].paginator.count == 21
    assert 'href="?status=active&amp;page=2"' in active.content.decode()


def test_another_stores_plans_are_never_listed(client, manager_a, store_a, store_b):
    _draft(store_a, name="甲店计划")
    _draft(store_b, name="乙店计划")
    client.force_login(manager_a)

    body = client.get("/callbacks/plans/").content.decode()

    assert "甲店计划" in body and "乙店计划" not in body


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"status": "nonsense"}, 400),
        ({"page": "x"}, 404),
        ({"page": "0"}, 404),
        ({"page": "99999999999999999999"}, 404),
        ({"page": "5"}, 404),
    ],
)
def test_a_bad_filter_or_page_is_a_4xx(client, manager_a, store_a, params, status):
    _draft(store_a)
    client.force_login(manager_a)

    response = client.get("/callbacks/plans/", params)

    assert response.status_code == status
    if status == 400:
        assert "请选择正确的计划状态。" in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_paged_list_query_count_does_not_grow(
    client, manager_a, store_a, count, django_assert_max_num_queries
):
    for _ in range(count):
        active_plan(store_a)
    client.force_login(manager_a)

    with django_assert_max_num_queries(6):
        assert client.get("/callbacks/plans/", {"status": "active"}).status_code == 200
