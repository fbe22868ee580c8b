"""The member API's `rfm` object and the `rfm_group` filter."""

import pytest
from rest_framework.test import APIClient

from members.models import RfmGroup
from tests.members.factories import MemberFactory, MemberRfmFactory, TagFactory

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_and_detail_carry_the_rfm_object(manager_a, member_a):
    MemberRfmFactory(member=member_a, group=RfmGroup.IMPORTANT_RETENTION)
    expected = {
        "recency_days": 12,
        "frequency": 5,
        "monetary": "1888.00",
        "lifetime_days": 700,
        "group": "important_retention",
        "group_label": "重要保持",
        "as_of": "2026-06-30",
    }
    client = client_for(manager_a)

    [item] = client.get("/api/members/").json()["results"]
    detail = client.get(f"/api/members/{member_a.pk}/").json()

    assert item["rfm"] == expected
    assert detail["rfm"] == expected


def test_rfm_is_null_before_the_first_run(manager_a, member_a):
    client = client_for(manager_a)

    assert client.get("/api/members/").json()["results"][0]["rfm"] is None
    assert client.get(f"/api/members/{member_a.pk}/").json()["rfm"] is None


def test_filter_by_rfm_group(manager_a, store_a):
    winback = MemberFactory(home_store=store_a)
    MemberRfmFactory(member=winback, group=RfmGroup.IMPORTANT_WINBACK)
    MemberRfmFactory(member=MemberFactory(home_store=store_a), group=RfmGroup.ORDINARY_VALUE)
    MemberFactory(home_store=store_a)

    results = client_for(manager_a).get("/api/members/", {"rfm_group": "important_winback"})

    assert [r["id"] for r in results.json()["results"]] == [winback.pk]


def test_rfm_group_filter_never_reaches_another_store(manager_a, member_b):
    MemberRfmFactory(member=member_b, group=RfmGroup.IMPORTANT_WINBACK)

    response = client_for(manager_a).get("/api/members/", {"rfm_group": "important_winback"})

    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("value", ["nope", "重要价值", "important_value'--"])
def test_unknown_rfm_group_is_a_400(manager_a, member_a, value):
    response = client_for(manager_a).get("/api/members/", {"rfm_group": value})

    assert response.status_code == 400
    assert "rfm_group" in response.json()["errors"]


def test_list_with_rfm_figures_keeps_a_flat_query_count(
    manager_a, store_a, django_assert_max_num_queries
):
    for _ in range(20):
        member = MemberFactory(home_store=store_a)
        member.tags.add(TagFactory())
        MemberRfmFactory(member=member)
    client = client_for(manager_a)

    with django_assert_max_num_queries(6):
        response = client.get("/api/members/")

    assert response.status_code == 200
    assert all(item["rfm"]["group_label"] == "重要价值" for item in response.json()["results"])


def test_schema_describes_the_nullable_rfm_object(hq_admin):
    schema = client_for(hq_admin).get("/api/schema/", {"format": "json"}).json()

    member = schema["components"]["schemas"]["Member"]["properties"]["rfm"]
    rfm = schema["components"]["schemas"]["MemberRfm"]
    assert member["nullable"] is True
    assert set(rfm["properties"]) == {
        "recency_days",
        "frequency",
        "monetary",
        "lifetime_days",
        "group",
        "group_label",
        "as_of",
    }
    assert rfm["properties"]["monetary"]["type"] == "string"
    filter_names = {p["name"] for p in schema["paths"]["/api/members/"]["get"]["parameters"]}
    assert "rfm_group" in filter_names
