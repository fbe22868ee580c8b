from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from rest_framework.test import APIClient

from tests.members.factories import MemberFactory, OrderFactory, TagFactory

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_gets_401_or_403(member_a):
    response = APIClient().get("/api/members/")
    assert response.status_code in (401, 403)


def test_list_items_carry_id_and_name_and_masked_phone_for_store_staff(
    manager_a, member_a, member_b
):
    response = client_for(manager_a).get("/api/members/")
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == member_a.pk and item["name"] == member_a.name
    assert item["phone"] == f"{member_a.phone[:3]}****{member_a.phone[-4:]}"
    assert item["birthday"] == "--10-15"


def test_hq_sees_all_members_with_full_phone(hq_admin, member_a, member_b):
    results = client_for(hq_admin).get("/api/members/").json()["results"]
    assert {r["phone"] for r in results} == {member_a.phone, member_b.phone}


def test_detail_of_another_stores_member_is_404(manager_a, member_b):
    assert client_for(manager_a).get(f"/api/members/{member_b.pk}/").status_code == 404


def test_detail_with_a_non_numeric_id_is_404(manager_a):
    assert client_for(manager_a).get("/api/members/abc/").status_code == 404


def test_detail_has_figures_and_five_looks(manager_a, member_a, store_a):
    OrderFactory(store=store_a, member=member_a, amount=Decimal("302.00"))
    body = client_for(manager_a).get(f"/api/members/{member_a.pk}/").json()
    assert body["figures"]["average_ticket"] == "302.00"
    assert body["five_looks"]["birthday_md"] == "10-15"
    assert body["five_looks"]["address_as"]


def test_guide_lists_only_members_bound_to_them(guide_a, member_a, store_a):
    MemberFactory(home_store=store_a)
    ids = [r["id"] for r in client_for(guide_a).get("/api/members/").json()["results"]]
    assert ids == [member_a.pk]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "1234"}, {"尾号1234"}),
        ({"q": "张"}, {"张三"}),
        ({"birthday_month": 3}, {"三月生"}),
        ({"source": "referral"}, {"老带新"}),
    ],
)
def test_filters(manager_a, store_a, params, expected):
    MemberFactory(home_store=store_a, phone="13900001234", name="尾号1234")
    MemberFactory(home_store=store_a, name="张三")
    MemberFactory(home_store=store_a, name="三月生", birthday=date(1991, 3, 2))
    MemberFactory(home_store=store_a, name="老带新", source="referral")
    names = {
        r["name"] for r in client_for(manager_a).get("/api/members/", params).json()["results"]
    }
    assert names == expected


def test_filter_by_guide_and_tag(manager_a, store_a, guide_a, member_a):
    tag = TagFactory()
    member_a.tags.add(tag)
    MemberFactory(home_store=store_a)
    client = client_for(manager_a)
    assert [
        r["id"] for r in client.get("/api/members/", {"guide": guide_a.pk}).json()["results"]
    ] == [member_a.pk]
    assert [r["id"] for r in client.get("/api/members/", {"tag": tag.pk}).json()["results"]] == [
        member_a.pk
    ]


def test_filter_by_another_stores_guide_is_a_400_not_a_leak(manager_a, guide_b, member_b):
    response = client_for(manager_a).get("/api/members/", {"guide": guide_b.pk})
    assert response.status_code == 400
    assert member_b.name not in response.content.decode()


@pytest.mark.parametrize(
    "params", [{"birthday_month": 13}, {"birthday_month": "x"}, {"source": "nope"}, {"page": "x"}]
)
def test_bad_filters_are_4xx(manager_a, member_a, params):
    assert client_for(manager_a).get("/api/members/", params).status_code in (400, 404)


def test_page_size_is_adjustable_up_to_1000(hq_admin, store_a):
    MemberFactory.create_batch(3, home_store=store_a)
    client = client_for(hq_admin)
    assert len(client.get("/api/members/", {"page_size": 2}).json()["results"]) == 2
    assert len(client.get("/api/members/", {"page_size": 5000}).json()["results"]) == 3


def test_list_query_count_does_not_grow_with_members(
    manager_a, store_a, django_assert_max_num_queries
):
    for _ in range(20):
        MemberFactory(home_store=store_a).tags.add(TagFactory())
    with django_assert_max_num_queries(6):
        assert client_for(manager_a).get("/api/members/").status_code == 200


def test_reveal_phone_is_logged(manager_a, member_a):
    response = client_for(manager_a).post(f"/api/members/{member_a.pk}/reveal-phone/")
    assert response.json() == {"phone": member_a.phone}
    assert (
        LogEntry.objects.filter(additional_data__event="phone_reveal", actor=manager_a).count() == 1
    )


def test_reveal_phone_of_another_stores_member_is_404(manager_a, member_b):
    assert (
        client_for(manager_a).post(f"/api/members/{member_b.pk}/reveal-phone/").status_code == 404
    )
    assert not LogEntry.objects.exists()


def test_schema_and_docs_are_served(hq_admin):
    client = client_for(hq_admin)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_a_member_moved_from_another_store_shows_only_tags_this_store_may_see(
    manager_a, member_a, store_b
):
    # given: the member carries a shared HQ tag and a tag of store B (kept from before a move)
    shared = TagFactory(name="HQ共享标签")
    theirs = TagFactory(name="乙店私有标签", store=store_b)
    member_a.tags.add(shared, theirs)
    client = client_for(manager_a)
    # when
    listed = client.get("/api/members/").json()["results"][0]["tags"]
    detail = client.get(f"/api/members/{member_a.pk}/").json()["tags"]
    # then
    assert listed == detail == ["HQ共享标签"]
