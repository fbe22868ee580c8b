"""The live preview and scoping: hand-computed figures, store split for HQ only, never a member
of another store in a manager's or guide's numbers."""

from datetime import date
from decimal import Decimal

import pytest

from members.models import RfmGroup
from members.rfm.next_table import store_changes_settle
from members.segments.selectors import segment_members, segment_preview
from tests.members.factories import MemberFactory, MemberRfmFactory, RegionManagerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 20)
ALL = {"op": "and", "items": []}
VALUE = {"op": "and", "items": [{"type": "rfm_group", "groups": ["important_value"]}]}


@pytest.fixture
def chain(store_a, store_b, guide_a):
    """Store A: three members (two value, one win-back); store B: two value members."""

    def member(store, group, orders, spent, guide=None):
        person = MemberFactory(home_store=store, guide=guide)
        MemberRfmFactory(member=person, group=group, order_count=orders, total_spent=Decimal(spent))
        return person

    return {
        "a1": member(store_a, RfmGroup.IMPORTANT_VALUE, 2, "600.00", guide_a),
        "a2": member(store_a, RfmGroup.IMPORTANT_VALUE, 1, "500.00"),
        "a3": member(store_a, RfmGroup.ORDINARY_WINBACK, 1, "100.00"),
        "b1": member(store_b, RfmGroup.IMPORTANT_VALUE, 3, "900.00"),
        "b2": member(store_b, RfmGroup.IMPORTANT_VALUE, 1, "1000.00"),
    }


def test_hq_preview_figures_are_hand_computed(chain, hq_admin):
    preview = segment_preview(rule=VALUE, user=hq_admin, today=TODAY)
    # 4 members, 3000 yuan over 7 orders: ticket 428.57, estimate 4 x 428.57
    assert preview.member_count == 4
    assert preview.total_spent == Decimal("3000.00")
    assert preview.order_count == 7
    assert preview.average_ticket == Decimal("428.57")
    assert preview.revenue_estimate == Decimal("1714.28")


def test_hq_gets_the_split_by_store_with_the_rest(chain, hq_admin, store_a, store_b):
    preview = segment_preview(rule=VALUE, user=hq_admin, today=TODAY, top=1)
    assert [(share.code, share.member_count) for share in preview.store_split] == [
        (store_a.code, 2),  # tie on 2 members: by store code
        ("", 2),
    ]
    assert preview.store_split[1].total_spent == Decimal("1900.00")


def test_a_manager_sees_only_their_store_and_no_split(chain, manager_a):
    preview = segment_preview(rule=VALUE, user=manager_a, today=TODAY)
    assert preview.member_count == 2
    assert preview.total_spent == Decimal("1100.00")
    assert preview.average_ticket == Decimal("366.67")
    assert preview.store_split is None


def test_a_guide_sees_only_their_own_members(chain, guide_a):
    preview = segment_preview(rule=ALL, user=guide_a, today=TODAY)
    assert preview.member_count == 1
    assert preview.total_spent == Decimal("600.00")


def test_a_region_manager_sees_their_region(chain, store_a):
    manager = RegionManagerFactory(region=store_a.region)
    assert segment_preview(rule=ALL, user=manager, today=TODAY).member_count == 3


def test_store_rule_for_another_store_gives_a_manager_nothing(chain, manager_a, store_b):
    rule = {"op": "and", "items": [{"type": "store", "stores": [store_b.pk]}]}
    assert segment_preview(rule=rule, user=manager_a, today=TODAY).member_count == 0


def test_a_sub_segment_never_holds_another_stores_member(chain, store_a, store_b, hq_admin):
    rule = {"op": "and", "items": [{"type": "store", "stores": [store_b.pk]}]}
    sub = SegmentFactory(store=store_a, rule=rule)
    # Even HQ, who sees everything, gets nothing from store A's sub-segment pointed at B.
    assert not segment_members(sub, user=hq_admin, today=TODAY).exists()


def test_a_sub_segment_narrows_its_base(chain, store_a, manager_a, hq_admin):
    base = SegmentFactory(rule=VALUE)
    rule = {"op": "and", "items": [{"type": "order_count", "min": 2}]}
    sub = SegmentFactory(store=store_a, base=base, rule=rule)
    assert list(segment_members(sub, user=manager_a, today=TODAY)) == [chain["a1"]]
    preview = segment_preview(rule=rule, base=base, store=store_a, user=hq_admin, today=TODAY)
    assert preview.member_count == 1


def test_members_without_figures_count_with_nothing_spent(store_a, hq_admin):
    MemberFactory(home_store=store_a)
    preview = segment_preview(rule=ALL, user=hq_admin, today=TODAY)
    assert (preview.member_count, preview.total_spent, preview.average_ticket) == (
        1,
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_preview_is_one_pass_for_hq_and_for_a_store(
    chain, hq_admin, manager_a, django_assert_num_queries
):
    # HQ's split by store and the totals come from the same pass over MemberRfm, plus one over
    # the members added or moved since the last regroup when there are any (here: all of them,
    # made by the factories); HQ's then reads the stores' codes and names. A store's come from
    # one pass over its members.
    with django_assert_num_queries(4):
        segment_preview(rule=ALL, user=hq_admin, today=TODAY)
    store_changes_settle()  # as a regroup's finish does
    with django_assert_num_queries(3):
        segment_preview(rule=ALL, user=hq_admin, today=TODAY)
    with django_assert_num_queries(1):
        segment_preview(rule=ALL, user=manager_a, today=TODAY)
