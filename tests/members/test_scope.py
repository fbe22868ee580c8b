"""INV-STORE-ISOLATION at the QuerySet level: visible_to(user) for every role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from members.models import Member, Order, Store, Tag, User
from tests.members.factories import (
    GuideFactory,
    HqOperatorFactory,
    MemberFactory,
    OrderFactory,
    RegionManagerFactory,
    StoreFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_hq_sees_every_store_member(hq_admin, member_a, member_b):
    assert set(Member.objects.visible_to(hq_admin)) == {member_a, member_b}


def test_superuser_without_role_counts_as_hq(member_a, member_b):
    root = UserFactory(is_superuser=True)
    assert Member.objects.visible_to(root).count() == 2


def test_hq_operator_sees_every_store(store_a, store_b):
    assert set(Store.objects.visible_to(HqOperatorFactory())) == {store_a, store_b}


def test_store_manager_sees_only_own_store_members(manager_a, member_a, member_b):
    assert list(Member.objects.visible_to(manager_a)) == [member_a]


def test_guide_sees_only_members_bound_to_them(store_a, guide_a, member_a):
    other_guide = GuideFactory(store=store_a)
    MemberFactory(home_store=store_a, guide=other_guide)
    MemberFactory(home_store=store_a, guide=None)
    assert list(Member.objects.visible_to(guide_a)) == [member_a]


def test_region_manager_sees_their_region_only(region, store_a, member_a, member_b):
    manager = RegionManagerFactory(region=region)
    assert list(Member.objects.visible_to(manager)) == [member_a]
    assert list(Store.objects.visible_to(manager)) == [store_a]


def test_user_without_role_or_anonymous_sees_nothing(member_a):
    assert not Member.objects.visible_to(UserFactory()).exists()
    assert not Member.objects.visible_to(AnonymousUser()).exists()


def test_inactive_staff_sees_nothing(manager_a, member_a):
    manager_a.is_active = False
    assert not Member.objects.visible_to(manager_a).exists()


def test_orders_follow_the_member_not_the_selling_store(store_a, store_b, manager_a, member_b):
    # Member of B buys in store A: the order row is B's member-level data, not A's.
    OrderFactory(store=store_a, member=member_b)
    assert not Order.objects.visible_to(manager_a).exists()


def test_guide_sees_only_their_own_orders(store_a, guide_a, member_a):
    mine = OrderFactory(store=store_a, member=member_a)
    OrderFactory(store=store_a, member=MemberFactory(home_store=store_a))
    assert list(Order.objects.visible_to(guide_a)) == [mine]


def test_staff_list_is_scoped(store_a, store_b, manager_a, guide_a, guide_b):
    assert set(User.objects.visible_to(manager_a)) == {manager_a, guide_a}
    assert list(User.objects.visible_to(guide_a)) == [guide_a]


def test_stores_of_other_regions_are_invisible(manager_a, store_b):
    assert list(Store.objects.visible_to(manager_a)) == [manager_a.store]
    StoreFactory()
    assert Store.objects.visible_to(manager_a).count() == 1


def test_shared_tags_hq_sees_all_a_store_its_own_and_hq_ones(hq_admin, manager_a, store_a, store_b):
    hq_tag = TagFactory(store=None, name="总部标签")
    own = TagFactory(store=store_a, name="甲店标签")
    foreign = TagFactory(store=store_b, name="乙店标签")

    assert set(Tag.objects.visible_to(hq_admin)) == {hq_tag, own, foreign}
    assert set(Tag.objects.visible_to(manager_a)) == {hq_tag, own}
    assert not Tag.objects.visible_to(AnonymousUser()).exists()
