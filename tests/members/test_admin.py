import pytest
from django.urls import reverse

from members.models import OwnershipChange
from tests.members.factories import GuideFactory, MemberFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


def test_hq_opens_member_list_and_detail(hq_client, member_a, member_b):
    changelist = hq_client.get(reverse("admin:members_member_changelist"))
    assert changelist.status_code == 200
    assert (
        member_a.name in changelist.content.decode()
        and member_b.name in changelist.content.decode()
    )
    detail = hq_client.get(reverse("admin:members_member_change", args=[member_a.pk]))
    assert detail.status_code == 200


def test_admin_search_by_phone_tail(hq_client, store_a):
    MemberFactory(home_store=store_a, phone="13812345678", name="尾号命中")
    MemberFactory(home_store=store_a, phone="13812340000", name="尾号不中")
    body = hq_client.get(reverse("admin:members_member_changelist"), {"q": "5678"}).content.decode()
    assert "尾号命中" in body and "尾号不中" not in body


def test_store_manager_cannot_use_the_admin_even_as_staff(client, manager_a, member_a):
    manager_a.is_staff = True
    manager_a.save()
    client.force_login(manager_a)
    response = client.get(reverse("admin:members_member_changelist"))
    assert response.status_code == 403
    response = client.get(reverse("admin:members_member_change", args=[member_a.pk]))
    assert response.status_code in (302, 403, 404)


def test_ownership_is_read_only_on_the_change_form(hq_client, member_a, store_b):
    url = reverse("admin:members_member_change", args=[member_a.pk])
    form = hq_client.get(url).context["adminform"].form
    assert "home_store" not in form.fields and "guide" not in form.fields


def test_admin_rebind_records_the_change(hq_client, member_a, store_b):
    guide = GuideFactory(store=store_b)
    url = reverse("admin:members_member_rebind_form", args=[member_a.pk])
    assert hq_client.get(url).status_code == 200
    response = hq_client.post(
        url, {"to_store": store_b.pk, "to_guide": guide.pk, "reason": "会员搬家"}
    )
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.home_store == store_b
    assert OwnershipChange.objects.get(member=member_a).reason == "会员搬家"


def test_admin_rebind_to_guide_of_other_store_shows_the_rule(hq_client, member_a, store_a, store_b):
    guide = GuideFactory(store=store_b)
    url = reverse("admin:members_member_rebind_form", args=[member_a.pk])
    response = hq_client.post(url, {"to_store": store_a.pk, "to_guide": guide.pk, "reason": "x"})
    assert response.status_code == 400
    assert "不是门店" in response.content.decode()


def test_member_list_query_count_is_bounded(hq_client, store_a, django_assert_max_num_queries):
    MemberFactory.create_batch(30, home_store=store_a, guide=GuideFactory(store=store_a))
    with django_assert_max_num_queries(15):
        assert hq_client.get(reverse("admin:members_member_changelist")).status_code == 200


def test_order_list_and_detail(hq_client, store_a, member_a):
    order = OrderFactory(store=store_a, member=member_a)
    assert hq_client.get(reverse("admin:members_order_changelist")).status_code == 200
    assert hq_client.get(reverse("admin:members_order_change", args=[order.pk])).status_code == 200
