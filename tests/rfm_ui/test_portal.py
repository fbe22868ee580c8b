"""The store portal shows each member's RFM group: a badge in the list, the reasons in detail."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from members.models import RfmGroup
from tests.members.factories import MemberFactory, MemberRfmFactory, RfmRunFactory

pytestmark = pytest.mark.django_db

LIST = reverse("portal:member_list")


def main_of(response):
    text = response.text
    return text[text.index("<main") : text.index("</main>")]


def detail(member):
    return reverse("portal:member_detail", kwargs={"pk": member.pk})


@pytest.fixture
def grouped_member(member_a):
    RfmRunFactory(
        business_date=date(2026, 6, 30),
        r_threshold=Decimal("45.0000"),
        f_threshold=Decimal("2.0000"),
        m_threshold=Decimal("600.5000"),
    )
    MemberRfmFactory(
        member=member_a,
        group=RfmGroup.IMPORTANT_RETENTION,
        recency_days=80,
        frequency=5,
        monetary=Decimal("1888.00"),
        lifetime_days=700,
    )
    return member_a


def test_list_shows_a_badge_per_member_and_unsorted_members_as_such(
    login, manager_a, grouped_member, store_a
):
    MemberFactory(home_store=store_a, name="没分群的")

    body = main_of(login(manager_a).get(LIST))

    assert 'class="rfm-badge rfm-important_retention"' in body
    assert "重要保持" in body
    assert "未分群" in body


def test_list_filters_by_group_with_chinese_choices(login, manager_a, grouped_member, store_a):
    MemberFactory(home_store=store_a, name="另一位")

    response = login(manager_a).get(LIST, {"rfm_group": "important_retention"})

    assert [m.pk for m in response.context["page"].object_list] == [grouped_member.pk]
    assert "全部客户群" in response.text and '<option value="important_winback">重要挽留' in (
        response.text
    )


def test_list_with_a_bad_group_is_a_400(login, manager_a, grouped_member):
    response = login(manager_a).get(LIST, {"rfm_group": "vip"})

    assert response.status_code == 400
    assert grouped_member.name not in main_of(response)


def test_list_with_groups_keeps_its_query_count(
    login, manager_a, store_a, django_assert_max_num_queries
):
    for _ in range(30):
        MemberRfmFactory(member=MemberFactory(home_store=store_a))
    client = login(manager_a)

    # Session, user, count, page, guide, tag and segment choices, the user's and their groups'
    # permissions (the export button); the RFM figures ride the join.
    with django_assert_max_num_queries(10):
        response = client.get(LIST)

    assert response.text.count("rfm-important_value") == 30


@pytest.mark.parametrize("who", ["manager_a", "guide_a"])
def test_detail_explains_the_group_with_the_runs_thresholds(request, login, who, grouped_member):
    card = login(request.getfixturevalue(who)).get(detail(grouped_member)).text
    card = card[card.index('id="rfm-group"') : card.index('id="facts-title"')]

    assert "重要保持" in card
    assert "80 天" in card and "≤ 45 天为近期" in card and "非近期" in card
    assert "5 次" in card and "&gt; 2 次为高频" in card and "高频" in card
    assert "¥1888.00" in card and "&gt; ¥600.5 为高额" in card
    assert "700 天" in card
    assert "2026-06-30" in card


def test_detail_of_a_member_without_a_run_says_not_grouped(login, guide_a, member_a):
    card = login(guide_a).get(detail(member_a)).text

    assert "未分群" in card[card.index('id="rfm-group"') : card.index('id="facts-title"')]


def test_no_purchase_member_has_no_recency(login, manager_a, member_a):
    RfmRunFactory()
    MemberRfmFactory(
        member=member_a,
        group=RfmGroup.NO_PURCHASE,
        recency_days=None,
        frequency=0,
        monetary=Decimal("0.00"),
        lifetime_days=None,
    )

    card = login(manager_a).get(detail(member_a)).text

    assert "未消费" in card and "无消费" in card
