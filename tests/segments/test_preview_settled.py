"""HQ's preview reads MemberRfm alone for the members whose row names their current home store,
and members_member for those added or moved since the last regroup (MemberStoreChange, written
by triggers on members_member): it must give what the members themselves give, for every kind
of condition, after a regroup, after members join or move, and when a move races a regroup."""

import datetime
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Count, F

from callbacks.models import CallbackPlan, CallbackTask
from coupons.models import CouponKind, Redemption
from members.demo import seed_demo
from members.models import (
    Member,
    MemberRfm,
    MemberStoreChange,
    MemberTag,
    OperatingModel,
    Product,
    Region,
    Segment,
    Source,
    Store,
    StoreGroup,
)
from members.rfm import rfm_regroup
from members.rfm.next_table import store_changes_settle
from members.segments.selectors import _per_store, rule_members_q, segment_preview
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def demo(db):
    seed_demo(members=240, seed=11, today=TODAY, report=lambda message: None)
    # so that every condition below matches some members and not others: the small demo's
    # stores are all directly run, and its redemptions and calls fall outside a month's window
    stores = list(Store.objects.order_by("code").values_list("pk", flat=True))
    Store.objects.filter(pk__in=stores[::2]).update(operating_model=OperatingModel.FRANCHISE)
    recently = datetime.datetime(2026, 6, 20, 12, tzinfo=datetime.UTC)
    redemptions = Redemption.objects.order_by("pk").values_list("pk", flat=True)
    Redemption.objects.filter(pk__in=list(redemptions[::2])).update(redeemed_at=recently)
    tasks = CallbackTask.objects.order_by("pk").values_list("pk", flat=True)
    CallbackTask.objects.filter(pk__in=list(tasks[::2])).update(last_called_at=recently)


def _rule(*items, op="and"):
    return {"op": op, "items": list(items)}


def _rules() -> dict[str, dict]:
    tag = MemberTag.objects.values("tag").annotate(n=Count("pk")).order_by("-n")[0]["tag"]
    series = Product.objects.exclude(series="").values_list("series", flat=True)[0]
    store = Store.objects.order_by("code")[0]
    plan = CallbackPlan.objects.first()
    gold = {"type": "average_ticket", "min": "400"}
    bought = {"type": "bought", "scope": "series", "value": series, "days": 90}
    has_tag = {"type": "has_tag", "tag": tag}
    rules = {
        "every member": _rule(),
        "important value": _rule({"type": "rfm_group", "groups": ["important_value"]}),
        "no purchase": _rule({"type": "rfm_group", "groups": ["no_purchase", "ordinary_winback"]}),
        "R": _rule({"type": "rfm_r", "min": 10, "max": 200}),
        "F": _rule({"type": "rfm_f", "min": 2}),
        "M": _rule({"type": "rfm_m", "max": "800"}),
        "L": _rule({"type": "rfm_l", "min": 30}),
        "order count": _rule({"type": "order_count", "min": 2, "max": 9}),
        "total spent": _rule({"type": "total_spent", "min": "300"}),
        "gold card": _rule(gold),
        "low ticket": _rule({"type": "average_ticket", "max": "350"}),
        "days since purchase": _rule({"type": "days_since_purchase", "min": 40, "max": 60}),
        "phases": _rule({"type": "purchase_phase", "phases": ["care", "lost"]}),
        "bought": _rule(bought),
        "has tag": _rule(has_tag),
        "lacks tag": _rule({"type": "lacks_tag", "tag": tag}),
        "birthday": _rule({"type": "birthday_month", "when": "given", "month": 3}),
        "card tenure": _rule({"type": "card_tenure", "min": 1, "max": 5}),
        "joined": _rule({"type": "joined", "when": "within_days", "days": 400}),
        "source": _rule({"type": "source", "sources": [Source.values[0]]}),
        "opted out": _rule({"type": "marketing_opt_out", "opted_out": "no"}),
        "store": _rule({"type": "store", "stores": [store.pk]}),
        "region": _rule({"type": "region", "regions": [Region.objects.first().pk]}),
        "store group": _rule(
            {"type": "store_group", "store_groups": [StoreGroup.objects.first().pk]}
        ),
        "operating model": _rule(
            {"type": "operating_model", "operating_models": [OperatingModel.FRANCHISE]}
        ),
        "unused coupon": _rule(
            {"type": "holds_unused_coupon", "kind": CouponKind.NO_THRESHOLD_LARGE}
        ),
        "redeemed": _rule({"type": "redeemed_coupon_within", "days": 30}),
        "called": _rule({"type": "called_within", "days": 30}),
        "bought OR tag": _rule(bought, has_tag, op="or"),
        "nested": _rule(gold, _rule(bought, {"type": "birthday_month", "when": "this"}, op="or")),
    }
    if plan is not None:
        rules["in plan"] = _rule({"type": "in_callback_plan", "plan": plan.pk})
    return rules


def _from_members(rule, hq, **within) -> tuple:
    """The preview's figures computed from the members (the path stores and guides take)."""
    rows = _per_store(Member.objects.filter(rule_members_q(rule=rule, today=TODAY, **within)))
    stores = dict(Store.objects.values_list("pk", "code"))
    split = {stores[row["home_store_id"]]: (row["n"], row["spent"]) for row in rows if row["n"]}
    return (
        sum(row["n"] for row in rows),
        sum((row["spent"] for row in rows), Decimal("0.00")),
        sum(row["orders"] for row in rows),
        split,
    )


def _previewed(rule, hq, **within) -> tuple:
    preview = segment_preview(rule=rule, user=hq, today=TODAY, top=10**6, **within)
    split = {share.code: (share.member_count, share.total_spent) for share in preview.store_split}
    return preview.member_count, preview.total_spent, preview.order_count, split


def _all_agree(hq):
    rules = _rules()
    everyone = Member.objects.count()
    for name, rule in rules.items():
        from_members = _from_members(rule, hq)
        assert 0 < from_members[0] < everyone or name == "every member", name
        assert _previewed(rule, hq) == from_members, name
    # a store's sub-segment started from an HQ segment, as HQ previews it
    busiest = Member.objects.values("home_store").annotate(n=Count("pk")).order_by("-n")[0]
    within = {
        "base": Segment(rule=rules["gold card"]),
        "store": Store.objects.get(pk=busiest["home_store"]),
    }
    for name in ("every member", "days since purchase", "bought OR tag", "no purchase"):
        assert _previewed(rules[name], hq, **within) == _from_members(rules[name], hq, **within)


def test_after_a_regroup_hq_reads_member_rfm_and_agrees_for_every_condition(demo, hq_admin):
    # given: the demo's regroup has settled the store log: every member's row names their store
    assert not MemberStoreChange.objects.exists()
    current = MemberRfm.objects.filter(home_store_id=F("member__home_store_id"))
    assert current.count() == MemberRfm.objects.count() == Member.objects.count()
    # then: every kind of condition gives the members' own figures
    _all_agree(hq_admin)


def test_members_who_join_or_move_are_read_from_the_members_until_the_next_regroup(demo, hq_admin):
    # when: a member moves to another store, another joins (no MemberRfm row yet)
    member = Member.objects.filter(rfm__order_count__gt=0).order_by("pk").first()
    other_store = Store.objects.exclude(pk=member.home_store_id).order_by("code").first()
    member.home_store = other_store
    member.save()
    MemberFactory(home_store=other_store)
    # then: both are logged, the moved member's row still names the old store, and the previews
    # agree with the members
    assert set(MemberStoreChange.objects.values_list("member_id", flat=True)) == {
        member.pk,
        Member.objects.latest("pk").pk,
    }
    assert MemberRfm.objects.get(pk=member.pk).home_store_id != other_store.pk
    _all_agree(hq_admin)
    # and: the next regroup's finish settles them: the rows are current, the log is empty
    rfm_regroup(business_date=TODAY)
    assert MemberRfm.objects.get(pk=member.pk).home_store_id == other_store.pk
    assert not MemberStoreChange.objects.exists()
    _all_agree(hq_admin)


def test_a_save_that_keeps_the_store_logs_nothing(demo):
    member = Member.objects.order_by("pk").first()
    member.name = "改名"
    member.save()
    Member.objects.filter(pk=member.pk).update(home_store=member.home_store)
    assert not MemberStoreChange.objects.exists()


def test_bulk_moves_log_every_member_moved(demo):
    store = Store.objects.order_by("code").first()
    moving = Member.objects.exclude(home_store=store).order_by("pk")[:5]
    ids = [member.pk for member in moving]
    Member.objects.filter(pk__in=ids).update(home_store=store)
    assert sorted(MemberStoreChange.objects.values_list("member_id", flat=True)) == ids


def test_a_member_moved_after_their_row_was_written_takes_their_store_at_the_finish(demo, hq_admin):
    # given: a row written with the old store, then a move that the finish has not seen applied
    # (as when the member moves after their classify chunk read them)
    member = Member.objects.order_by("pk").first()
    store = Store.objects.exclude(pk=member.home_store_id).order_by("code").first()
    Member.objects.filter(pk=member.pk).update(home_store=store)
    MemberRfm.objects.filter(pk=member.pk).update(home_store_id=member.home_store_id)
    # when: a finish settles the log
    store_changes_settle()
    # then: the row takes the member's store, and the log is empty only because it is current
    assert MemberRfm.objects.get(pk=member.pk).home_store_id == store.pk
    assert not MemberStoreChange.objects.exists()
    _all_agree(hq_admin)


def test_settling_keeps_members_without_a_row_and_drops_deleted_ones(demo):
    newcomer = MemberFactory(home_store=Store.objects.first())
    MemberStoreChange.objects.create(member_id=10**9)  # a member deleted since
    store_changes_settle()
    assert list(MemberStoreChange.objects.values_list("member_id", flat=True)) == [newcomer.pk]
