from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from members.errors import RuleViolation
from members.models import Channel, Order, OrderLine, OwnershipChange
from members.services import (
    LineInput,
    member_phone_reveal,
    member_rebind,
    order_create,
    order_number_lock,
    order_refund,
)
from tests.members.factories import GuideFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_manager_rebinds_member_within_store_and_it_is_recorded(manager_a, member_a, store_a):
    new_guide = GuideFactory(store=store_a)
    member_rebind(member=member_a, to_guide=new_guide, reason="导购离职", actor=manager_a)
    member_a.refresh_from_db()
    assert member_a.guide == new_guide
    change = OwnershipChange.objects.get(member=member_a)
    assert (change.from_store, change.to_store) == (store_a, store_a)
    assert change.to_guide == new_guide and change.changed_by == manager_a
    assert change.reason == "导购离职"
    entry = LogEntry.objects.get(object_id=member_a.pk, additional_data__event="member_rebind")
    assert entry.actor == manager_a


def test_rebind_to_the_same_guide_is_a_no_op(manager_a, member_a, guide_a):
    member_rebind(member=member_a, to_guide=guide_a, reason="无变化", actor=manager_a)
    assert not OwnershipChange.objects.exists()


def test_manager_cannot_move_member_to_another_store(manager_a, member_a, store_b, guide_b):
    with pytest.raises(RuleViolation) as exc:
        member_rebind(
            member=member_a, to_store=store_b, to_guide=guide_b, reason="x", actor=manager_a
        )
    assert exc.value.code == "cross_store_rebind_hq_only"
    member_a.refresh_from_db()
    assert member_a.home_store_id != store_b.pk


def test_rebind_to_guide_of_another_store_is_rejected(manager_a, member_a, guide_b):
    with pytest.raises(RuleViolation) as exc:
        member_rebind(member=member_a, to_guide=guide_b, reason="x", actor=manager_a)
    assert exc.value.code == "guide_not_in_store"


def test_guide_may_not_rebind(guide_a, member_a, store_a):
    with pytest.raises(RuleViolation):
        member_rebind(
            member=member_a, to_guide=GuideFactory(store=store_a), reason="x", actor=guide_a
        )


def test_hq_moves_member_across_stores(hq_admin, member_a, store_b, guide_b):
    member_rebind(
        member=member_a, to_store=store_b, to_guide=guide_b, reason="搬家", actor=hq_admin
    )
    member_a.refresh_from_db()
    assert (member_a.home_store, member_a.guide) == (store_b, guide_b)


def test_rebind_needs_a_reason(manager_a, member_a, store_a):
    with pytest.raises(RuleViolation) as exc:
        member_rebind(
            member=member_a, to_guide=GuideFactory(store=store_a), reason=" ", actor=manager_a
        )
    assert exc.value.code == "reason_required"


def test_phone_reveal_writes_an_access_row_without_the_full_phone(manager_a, member_a):
    assert member_phone_reveal(member=member_a, actor=manager_a) == member_a.phone
    entry = LogEntry.objects.get(additional_data__event="phone_reveal")
    assert entry.action == LogEntry.Action.ACCESS and entry.actor == manager_a
    assert member_a.phone not in str(entry.additional_data) + str(entry.changes)


def _order(store, member, channel, guide=None, order_no="N1"):
    return order_create(
        store=store,
        order_no=order_no,
        member=member,
        guide=guide,
        channel=channel,
        paid_at=timezone.now(),
        amount=Decimal("302.00"),
    )


def test_in_store_sale_counts_for_the_selling_store_and_guide(store_a, store_b, member_b):
    seller = GuideFactory(store=store_a)
    order = _order(store_a, member_b, Channel.STORE, guide=seller)
    assert (order.credited_store, order.credited_guide) == (store_a, seller)


def test_online_sale_counts_for_the_bound_guide_and_their_store(
    store_a, store_b, member_b, guide_b
):
    order = _order(store_a, member_b, Channel.MINI_PROGRAM)
    assert (order.credited_store, order.credited_guide) == (store_b, guide_b)


def test_online_sale_of_unbound_member_counts_for_home_store(store_a, store_b, member_b):
    member_b.guide = None
    member_b.save()
    order = _order(store_a, member_b, Channel.LIVESTREAM)
    assert (order.credited_store, order.credited_guide) == (store_b, None)


def test_order_lines_need_known_skus(store_a, member_a):
    with pytest.raises(RuleViolation) as exc:
        order_create(
            store=store_a,
            order_no="N2",
            member=member_a,
            guide=None,
            channel=Channel.STORE,
            paid_at=timezone.now(),
            amount=Decimal("10.00"),
            lines=[LineInput(sku="NOPE", quantity=1, amount=Decimal("10.00"))],
        )
    assert exc.value.code == "unknown_sku"
    assert not Order.objects.exists()


def test_order_with_lines(store_a, member_a):
    product = ProductFactory()
    order = order_create(
        store=store_a,
        order_no="N3",
        member=member_a,
        guide=None,
        channel=Channel.STORE,
        paid_at=timezone.now(),
        amount=Decimal("10.00"),
        lines=[LineInput(sku=product.sku, quantity=2, amount=Decimal("10.00"))],
    )
    assert order.lines.get().quantity == 2


def test_duplicate_order_number_in_a_store_is_a_conflict(store_a, member_a):
    _order(store_a, member_a, Channel.STORE)
    with pytest.raises(RuleViolation) as exc:
        _order(store_a, member_a, Channel.STORE)
    assert exc.value.status_code == 409


def test_refunds_accumulate_and_never_exceed_the_amount(store_a, member_a):
    order = OrderFactory(store=store_a, member=member_a, amount=Decimal("100.00"))
    when = timezone.now() + timedelta(hours=1)
    order_refund(order=order, refund_no="R1", amount=Decimal("60.00"), refunded_at=when)
    with pytest.raises(RuleViolation) as exc:
        order_refund(order=order, refund_no="R2", amount=Decimal("40.01"), refunded_at=when)
    assert exc.value.code == "refund_exceeds_amount"
    order_refund(order=order, refund_no="R3", amount=Decimal("40.00"), refunded_at=when)
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("100.00")


def test_the_same_refund_number_is_recorded_once(store_a, member_a):
    order = OrderFactory(store=store_a, member=member_a, amount=Decimal("100.00"))
    order_refund(order=order, refund_no="R1", amount=Decimal("10.00"), refunded_at=timezone.now())
    with pytest.raises(RuleViolation):
        order_refund(
            order=order, refund_no="R1", amount=Decimal("10.00"), refunded_at=timezone.now()
        )
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("10.00")


def test_an_order_whose_lines_fail_is_not_kept(store_a, member_a, monkeypatch):
    # given the lines' insert fails after the order row is written
    def broken(*args, **kwargs):
        raise RuntimeError("lines failed")

    monkeypatch.setattr(OrderLine.objects, "bulk_create", broken)
    product = ProductFactory()

    # when the sale is recorded with a line
    with pytest.raises(RuntimeError):
        order_create(
            store=store_a,
            order_no="ATOMIC-1",
            member=member_a,
            guide=None,
            channel=Channel.STORE,
            paid_at=timezone.now(),
            amount=Decimal("302.00"),
            lines=[LineInput(sku=product.sku, quantity=1, amount=Decimal("302.00"))],
        )

    # then neither the order nor anything of it stays: order_create is one transaction
    assert not Order.objects.filter(order_no="ATOMIC-1").exists()


@pytest.mark.django_db(transaction=True)
def test_the_order_number_lock_refuses_to_run_outside_a_transaction(store_a):
    with pytest.raises(RuntimeError):
        order_number_lock(store_a, "LOCK-1")
