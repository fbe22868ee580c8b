import pytest
from django.urls import reverse

from members.models import Source
from tests.members.factories import MemberFactory, StoreFactory, TagFactory

LIST = reverse("portal:member_list")


def names(response):
    return {m.name for m in response.context["page"].object_list}


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


@pytest.mark.django_db
def test_manager_sees_only_own_store_members(login, manager_a, member_a, canary_b):
    response = login(manager_a).get(LIST)

    assert response.status_code == 200
    assert names(response) == {member_a.name}
    assert canary_b.name not in response.text


@pytest.mark.django_db
def test_guide_sees_only_members_bound_to_them(login, guide_a, other_guide_a, member_a, store_a):
    other = MemberFactory(home_store=store_a, guide=other_guide_a)

    response = login(guide_a).get(LIST)

    assert names(response) == {member_a.name}
    assert other.name not in response.text


@pytest.mark.django_db
def test_hq_sees_members_of_every_store(login, hq_admin, member_a, canary_b):
    response = login(hq_admin).get(LIST)

    assert names(response) == {member_a.name, canary_b.name}


@pytest.mark.django_db
def test_search_by_phone_tail(login, manager_a, store_a):
    wanted = MemberFactory(home_store=store_a, phone="13812344321")
    MemberFactory(home_store=store_a, phone="13812340000")

    response = login(manager_a).get(LIST, {"q": "4321"})

    assert names(response) == {wanted.name}


@pytest.mark.django_db
def test_search_by_name(login, manager_a, store_a):
    wanted = MemberFactory(home_store=store_a, name="王晓燕")
    MemberFactory(home_store=store_a, name="李娜")

    response = login(manager_a).get(LIST, {"q": "晓燕"})

    assert names(response) == {wanted.name}


@pytest.mark.django_db
def test_search_never_reaches_another_store(login, manager_a, canary_b):
    response = login(manager_a).get(LIST, {"q": canary_b.phone[-4:]})

    assert names(response) == set()
    assert canary_b.name not in response.text


@pytest.mark.django_db
def test_filter_by_guide(login, manager_a, store_a, guide_a, other_guide_a, member_a):
    MemberFactory(home_store=store_a, guide=other_guide_a)

    response = login(manager_a).get(LIST, {"guide": guide_a.pk})

    assert names(response) == {member_a.name}


@pytest.mark.django_db
def test_filter_by_guide_of_another_store_is_rejected(login, manager_a, member_a, guide_b):
    response = login(manager_a).get(LIST, {"guide": guide_b.pk})

    assert response.status_code == 400
    assert names(response) == set()
    assert "筛选条件有误" in response.text


@pytest.mark.django_db
def test_filter_by_tag(login, manager_a, store_a, member_a):
    tag = TagFactory(name="敏感肌")
    member_a.tags.add(tag)
    MemberFactory(home_store=store_a)

    response = login(manager_a).get(LIST, {"tag": tag.pk})

    assert names(response) == {member_a.name}


@pytest.mark.django_db
def test_filter_by_birthday_month(login, manager_a, store_a):
    march = MemberFactory(home_store=store_a, birthday="1992-03-08")
    MemberFactory(home_store=store_a, birthday="1992-10-15")

    response = login(manager_a).get(LIST, {"birthday_month": 3})

    assert names(response) == {march.name}


@pytest.mark.django_db
def test_filter_by_recruitment_source(login, manager_a, store_a):
    referred = MemberFactory(home_store=store_a, source=Source.REFERRAL)
    MemberFactory(home_store=store_a, source=Source.GROUND)

    response = login(manager_a).get(LIST, {"source": Source.REFERRAL})

    assert names(response) == {referred.name}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"birthday_month": "13"},
        {"source": "x"},
        {"guide": "abc"},
        {"tag": "9" * 30},
        {"q": "a\x00b"},
    ],
)
def test_malformed_filter_gets_400_not_500(login, manager_a, params):
    response = login(manager_a).get(LIST, params)

    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["abc", "999", "0", "-1", "1" + "0" * 25])
@pytest.mark.parametrize("user", ["manager_a", "hq_admin"])
def test_bad_page_number_is_404(login, request, member_a, user, page):
    response = login(request.getfixturevalue(user)).get(LIST, {"page": page})

    assert response.status_code == 404


@pytest.mark.django_db
def test_filter_form_offers_all_choices_in_words(login, manager_a):
    response = login(manager_a).get(LIST)

    for label in ["全部导购", "全部标签", "全部月份", "全部来源", "老带新", "3月"]:
        assert label in response.text
    assert "---------" not in response.text


@pytest.mark.django_db
def test_store_staff_see_masked_phones_only(login, manager_a, member_a):
    response = login(manager_a).get(LIST)

    assert member_a.phone not in response.text
    assert f"{member_a.phone[:3]}****{member_a.phone[-4:]}" in response.text


@pytest.mark.django_db
def test_list_is_paginated_by_30(login, manager_a, store_a):
    MemberFactory.create_batch(31, home_store=store_a)

    first = login(manager_a).get(LIST)
    second = login(manager_a).get(LIST, {"page": 2})

    assert len(first.context["page"].object_list) == 30
    assert len(second.context["page"].object_list) == 1
    assert "共 31 位会员" in first.text


@pytest.mark.django_db
def test_hq_list_pages_without_counting(login, hq_admin, store_a):
    MemberFactory.create_batch(31, home_store=store_a)

    response = login(hq_admin).get(LIST, {"page": 2})

    assert len(response.context["page"].object_list) == 1
    assert "位会员" not in response.text
    assert "上一页" in response.text


@pytest.mark.django_db
def test_htmx_search_returns_the_results_fragment(login, manager_a, member_a):
    response = login(manager_a).get(LIST, {"q": member_a.name}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert member_a.name in response.text
    assert "<html" not in response.text
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_member_list_query_count_does_not_grow_with_rows(
    login, manager_a, store_a, guide_a, other_guide_a, django_assert_max_num_queries
):
    MemberFactory.create_batch(15, home_store=store_a, guide=guide_a)
    MemberFactory.create_batch(15, home_store=store_a, guide=other_guide_a)
    client = login(manager_a)

    # session, user, user's store (header), count, members with guides, guide, tag and segment
    # choices, the user's and their groups' permissions (the export button)
    with django_assert_max_num_queries(10):
        response = client.get(LIST, {"source": Source.IN_STORE})

    assert len(response.context["page"].object_list) == 30


@pytest.mark.django_db
def test_member_list_query_count_for_hq_without_count(
    login, hq_admin, django_assert_max_num_queries
):
    for store in StoreFactory.create_batch(3):
        MemberFactory.create_batch(12, home_store=store)
    client = login(hq_admin)

    # session, user, one page of members with guides (no count), guide, tag and segment choices,
    # the user's and their groups' permissions (the export button)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)

    assert len(response.context["page"].object_list) == 30
