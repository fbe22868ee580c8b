"""The store portal's group migration page: a store manager's own store, nobody else's."""

from datetime import date

import pytest
from django.urls import reverse

from members.models import RfmGroup
from tests.members.factories import MemberFactory, RegionManagerFactory, RfmRunFactory, StoreFactory
from tests.rfm_ui.factories import build_history

pytestmark = pytest.mark.django_db

PAGE = reverse("portal:group_migration")
G = RfmGroup
D1, D2, D3 = date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)


@pytest.fixture
def history(store_a, store_b):
    own = [MemberFactory(home_store=store_a) for _ in range(2)]
    theirs = [MemberFactory(home_store=store_b) for _ in range(7)]
    timeline = {p: [G.IMPORTANT_VALUE, G.IMPORTANT_VALUE, G.IMPORTANT_RETENTION] for p in own}
    timeline |= {p: [G.ORDINARY_VALUE, G.ORDINARY_WINBACK, G.ORDINARY_WINBACK] for p in theirs}
    build_history(timeline, [D1, D2, D3])


def test_manager_sees_own_stores_matrix_with_default_dates(login, manager_a, history):
    response = login(manager_a).get(PAGE)

    assert response.status_code == 200
    matrix = response.context["matrix"]
    assert (matrix.date_from, matrix.date_to) == (D2, D3)  # the run nearest 30 days before
    assert matrix.total == 2
    assert "自 2026-05-01 至 2026-06-01，重要价值 中有 2 人变为 重要保持。" in response.text
    assert "一般挽留 中有" not in response.text
    assert 'name="store"' not in response.text
    [row] = response.context["sizes"].stores
    assert row.store.pk == manager_a.store_id and row.total == 2


def test_a_store_parameter_naming_another_store_is_ignored(login, manager_a, store_b, history):
    response = login(manager_a).get(PAGE, {"store": store_b.pk, "date_from": D1, "date_to": D3})

    assert response.status_code == 200
    assert response.context["matrix"].total == 2
    assert [r.store.pk for r in response.context["sizes"].stores] == [manager_a.store_id]


def test_region_manager_picks_a_store_of_their_region_only(
    login, region, store_a, store_b, history
):
    manager = RegionManagerFactory(region=region)
    client = login(manager)

    own = client.get(PAGE, {"store": store_a.pk})
    other = client.get(PAGE, {"store": store_b.pk})

    assert own.status_code == 200 and own.context["matrix"].total == 2
    assert other.status_code == 400
    assert "所选门店不存在或不在您的范围内" in other.text
    assert other.context["matrix"] is None


def test_guides_are_refused(login, guide_a, history):
    response = login(guide_a).get(PAGE)

    assert response.status_code == 403
    assert "重要价值" not in response.text


def test_anonymous_goes_to_login(client):
    response = client.get(PAGE)

    assert response.status_code == 302 and "/login/" in response.url


def test_without_two_runs_the_page_explains(login, manager_a, store_a):
    RfmRunFactory(business_date=D3)

    response = login(manager_a).get(PAGE)

    assert response.status_code == 200
    assert "至少需要两次已完成的分群运行" in response.text
    assert response.context["matrix"] is None


@pytest.mark.parametrize(
    "query",
    [
        "date_from=2026-06-01&date_to=2026-04-01",
        "date_from=2026-04-02&date_to=2026-06-01",
        "date_from=2026-13-45",
        "date_to=%ED%A0%80",
        "date_from=%00",
        "date_from=" + "9" * 400,
    ],
)
def test_bad_dates_are_a_400_with_a_chinese_reason(login, manager_a, history, query):
    response = login(manager_a).get(f"{PAGE}?{query}")

    assert response.status_code == 400
    assert "日期" in response.text


def test_the_nav_offers_the_page_to_managers_only(login, manager_a, guide_a, history):
    assert PAGE in login(manager_a).get(reverse("portal:member_list")).text
    assert PAGE not in login(guide_a).get(reverse("portal:member_list")).text


def test_the_page_keeps_a_flat_query_count(
    login, manager_a, store_a, history, django_assert_max_num_queries
):
    for _ in range(5):
        StoreFactory()
    client = login(manager_a)

    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200
