from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Max

from coupons.models import (
    Coupon,
    CouponKind,
    CouponSettings,
    CouponTemplate,
    IssueBatch,
    Redemption,
    WelcomePackItem,
)
from members.demo import seed_demo
from members.demo.calendar import SalesCalendar, festival_boost
from members.models import (
    ONLINE_CHANNELS,
    Member,
    MemberPurchase,
    MemberTag,
    Order,
    OrderLine,
    Product,
    PurchaseSummaryRun,
    Refund,
    Region,
    Role,
    Source,
    Store,
    StoreGroup,
    Tag,
    User,
)
from members.services import order_attribution
from tests.members.factories import MemberFactory, OrderFactory

SMALL = 300
TODAY = date(2026, 6, 30)


def _seed(members=SMALL, seed=7):
    messages = []
    seed_demo(members=members, seed=seed, today=TODAY, report=messages.append)
    return messages


@pytest.fixture
def demo(db):
    return _seed()


def _counts():
    models = [Region, StoreGroup, Store, User, Member, Product, Tag, MemberTag, Order, OrderLine]
    return {model.__name__: model.objects.count() for model in [*models, Refund]}


def _fingerprint():
    """Everything that matters about the demo data, without primary keys."""
    members = Member.objects.values_list(
        "phone", "name", "gender", "birthday", "joined_at", "home_store__code",
        "guide__username", "source", "referrer__phone", "level", "points", "marketing_opt_out",
    )  # fmt: skip
    orders = Order.objects.values_list(
        "order_no", "store__code", "member__phone", "guide__username", "channel", "paid_at",
        "amount", "refunded_amount", "credited_store__code", "credited_guide__username",
    )  # fmt: skip
    lines = OrderLine.objects.values_list("order__order_no", "product__sku", "quantity", "amount")
    tags = MemberTag.objects.values_list("member__phone", "tag__name")
    staff = User.objects.values_list("username", "first_name", "role", "store__code", "guide_code")
    stores = Store.objects.values_list("code", "name", "operating_model", "region__name")
    return [sorted(qs, key=str) for qs in (members, orders, lines, tags, staff, stores)]


def _delete_demo():
    coupons = (Redemption, Coupon, IssueBatch, WelcomePackItem, CouponSettings, CouponTemplate)
    for model in (
        *coupons,
        MemberTag,
        Refund,
        OrderLine,
        Order,
        Member,
        User,
        Store,
        StoreGroup,
        Region,
    ):
        model.objects.all().delete()


def test_seed_demo_builds_a_chain_scaled_to_the_members(demo):
    stores = Store.objects.all()
    assert stores.count() == 3
    assert Region.objects.count() == 3
    assert Member.objects.count() == SMALL
    assert Product.objects.count() == 30
    assert set(Product.objects.values_list("series", flat=True).distinct()).__len__() == 6
    for store in stores:
        staff = store.staff.values_list("role", flat=True)
        assert list(staff).count(Role.STORE_MANAGER) == 1
        assert 2 <= list(staff).count(Role.GUIDE) <= 5
    assert 5 * SMALL <= Order.objects.count() <= 15 * SMALL
    assert Refund.objects.exists()
    assert MemberTag.objects.filter(tag__store__isnull=True).exists()


def test_members_have_realistic_profiles(demo):
    assert Member.objects.filter(gender="F").count() > Member.objects.count() * 0.7
    for birthday, joined in Member.objects.values_list("birthday", "joined_at"):
        assert 18 <= (TODAY - birthday).days / 365.25 <= 66
        assert (TODAY - joined).days <= 8 * 366 and joined < TODAY
    sources = set(Member.objects.values_list("source", flat=True))
    assert {Source.IN_STORE, Source.REFERRAL, Source.GROUND} <= sources
    assert Member.objects.values("phone").distinct().count() == SMALL


def test_every_bound_member_has_a_guide_of_their_home_store(demo):
    bound = Member.objects.filter(guide__isnull=False).select_related("guide")
    assert all(m.guide.store_id == m.home_store_id and m.guide.is_guide for m in bound)
    assert Member.objects.filter(guide__isnull=True).count() < SMALL * 0.1


def test_referred_members_have_an_earlier_referrer_of_the_same_store(demo):
    referred = Member.objects.filter(source=Source.REFERRAL).select_related("referrer")
    assert referred.exists()
    for member in referred:
        assert member.referrer.home_store_id == member.home_store_id
        assert member.referrer.joined_at <= member.joined_at
    assert not Member.objects.exclude(source=Source.REFERRAL).filter(referrer__isnull=False)


def test_order_lines_add_up_to_the_order_amount(demo):
    totals = {}
    for order_id, amount in OrderLine.objects.values_list("order_id", "amount"):
        totals[order_id] = totals.get(order_id, Decimal("0")) + amount
    amounts = dict(Order.objects.values_list("id", "amount"))
    assert totals == amounts
    per_order = Order.objects.annotate(n=Count("lines")).values_list("n", flat=True)
    assert set(per_order) <= {1, 2, 3}


def test_refunds_stay_within_the_order_and_match_the_refund_rows(demo):
    refunded = {}
    for order_id, amount in Refund.objects.values_list("order_id", "amount"):
        refunded[order_id] = refunded.get(order_id, Decimal("0")) + amount
    orders = Order.objects.filter(refunded_amount__gt=0)
    assert {o.pk: o.refunded_amount for o in orders} == refunded
    assert all(o.refunded_amount <= o.amount for o in orders)
    assert orders.count() < Order.objects.count() * 0.08


def test_orders_are_credited_by_the_attribution_rule(demo):
    orders = Order.objects.select_related("store", "guide", "member__guide")
    for order in orders:
        expected = order_attribution(
            store=order.store, guide=order.guide, member=order.member, channel=order.channel
        )
        assert (order.credited_store_id, order.credited_guide_id) == expected
    assert orders.filter(channel__in=ONLINE_CHANNELS).count() > 0
    assert orders.exclude(channel__in=ONLINE_CHANNELS).count() > orders.count() / 2


def test_orders_are_paid_before_today_at_shop_hours(demo):
    from django.utils import timezone

    for paid_at, channel in Order.objects.values_list("paid_at", "channel"):
        local = timezone.localtime(paid_at)
        assert local.date() < TODAY
        assert channel != "store" or 10 <= local.hour <= 21


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not(db):
    _seed(seed=11)
    first = _fingerprint()
    _delete_demo()
    _seed(seed=11)
    assert _fingerprint() == first
    _delete_demo()
    _seed(seed=12)
    assert _fingerprint() != first


def test_a_second_run_says_already_loaded_and_adds_nothing(db):
    out = StringIO()
    call_command("seed_demo", "--members", str(SMALL), stdout=out)
    before = _counts()
    again = StringIO()
    call_command("seed_demo", "--members", str(SMALL), stdout=again)
    assert "已加载" in again.getvalue()
    assert _counts() == before
    assert "http://127.0.0.1:8000/" in out.getvalue() and "siyu2026" in out.getvalue()


def test_the_demo_has_the_purchase_summary_as_of_yesterday(demo):
    run = PurchaseSummaryRun.objects.get()
    assert run.business_date == date(2026, 6, 29) and run.full and run.finished_at is not None
    counted = OrderLine.objects.filter(order__refunded_amount__lt=F("order__amount"))
    pairs = counted.values_list("order__member_id", "product_id").distinct()
    assert MemberPurchase.objects.count() == run.rows == pairs.count() > 0


def test_the_demo_logins_work(demo, client):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role == Role.HQ_ADMIN
    manager = User.objects.get(username="manager")
    guide = User.objects.get(username="guide")
    assert manager.role == Role.STORE_MANAGER and manager.store.code == "S00001"
    assert guide.role == Role.GUIDE and guide.store == manager.store
    assert Order.objects.filter(member__guide=guide).exists()
    region = User.objects.get(username="region")
    assert region.role == Role.REGION_MANAGER and region.region == manager.store.region
    for username in ("admin", "region", "manager", "guide"):
        assert client.login(username=username, password="siyu2026")
    assert "region（" in demo[-1] and "manager（" in demo[-1]  # the logins printed last


def _main(response) -> str:
    text = response.content.decode()
    return text[text.index("<main") : text.index("</main>")]


def test_the_region_login_sees_its_regions_stores_in_the_portal(demo, client):
    region = User.objects.get(username="region").region
    others = Store.objects.exclude(region=region)
    assert others.exists()  # something to keep out
    in_region = Member.objects.filter(home_store__region=region)
    client.login(username="region", password="siyu2026")

    listed = client.get("/members/")
    assert listed.status_code == 200
    assert listed.context["page"].paginator.count == in_region.count() > 0
    shown = [member.pk for member in listed.context["page"].object_list]
    assert set(shown) <= set(in_region.values_list("pk", flat=True))
    assert client.get(f"/members/{in_region.first().pk}/").status_code == 200
    outside = Member.objects.exclude(home_store__region=region).first()
    assert client.get(f"/members/{outside.pk}/").status_code == 404

    groups = client.get("/groups/migration/")
    assert groups.status_code == 200
    sized = {row.store.region_id for row in groups.context["sizes"].stores}
    assert sized == {region.pk}

    coupons = client.get("/coupons/")
    assert coupons.status_code == 200
    main = _main(coupons)
    assert 'id="roi-by-store"' in main
    assert not [store.name for store in others if store.name in main]


def test_new_rows_get_fresh_ids_after_the_bulk_load(demo):
    store = Store.objects.first()
    member = MemberFactory(home_store=store, phone="19900000001")
    order = OrderFactory(store=store, member=member)
    others = Order.objects.exclude(pk=order.pk).aggregate(top=Max("pk"))["top"]
    assert member.pk > SMALL and order.pk > others


def test_the_calendar_peaks_on_double_11_618_and_before_spring_festival():
    ordinary = festival_boost(date(2025, 9, 17))
    assert festival_boost(date(2025, 11, 11)) > festival_boost(date(2025, 6, 18)) > ordinary
    assert festival_boost(date(2026, 2, 5)) > ordinary  # twelve days before 2026-02-17
    calendar = SalesCalendar(last_day=date(2026, 6, 29))
    assert len(calendar.days) == 730 and calendar.days[-1] == date(2026, 6, 29)


@pytest.mark.postgres
def test_the_copy_load_on_postgres_restores_indexes_and_constraints(db):
    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename, indexname FROM pg_indexes WHERE tablename LIKE 'members_%%' "
                "UNION ALL SELECT conrelid::regclass::text, conname FROM pg_constraint "
                "WHERE conrelid::regclass::text LIKE 'members_%%' ORDER BY 1, 2"
            )
            return cursor.fetchall()

    before = schema()
    _seed()
    assert schema() == before
    assert Order.objects.count() > 5 * SMALL
    assert not Order.objects.filter(credited_store__isnull=True).exists()


def test_the_demo_has_coupons_of_every_kind_a_welcome_pack_and_birthday_coupons(demo):
    # then: four kinds, easiest first, two a guide may hand out
    kinds = CouponTemplate.objects.filter(welcome_pack_item__isnull=True).exclude(
        pk=CouponSettings.current().birthday_template_id
    )
    assert [t.kind for t in kinds.easy_first()] == [
        CouponKind.NO_THRESHOLD_LARGE,
        CouponKind.NO_THRESHOLD_SMALL,
        CouponKind.THRESHOLD_LARGE,
        CouponKind.THRESHOLD_SMALL,
    ]
    assert kinds.filter(guide_may_issue=True).count() == 2
    assert WelcomePackItem.objects.count() == 3
    assert CouponSettings.current().birthday_template.face_value == Decimal("50.00")
    # and coupons issued by a segment batch, the welcome pack and the birthday run
    sources = set(IssueBatch.objects.filter(issued_count__gt=0).values_list("source", flat=True))
    assert sources == {"segment", "welcome", "birthday"}
    assert all(b.status == "finished" for b in IssueBatch.objects.all())
    assert Coupon.objects.count() == sum(IssueBatch.objects.values_list("issued_count", flat=True))


def test_the_demo_has_a_store_plan_and_an_hq_plan_with_tasks_and_calls(demo, client):
    from callbacks.models import CallbackAttempt, CallbackPlan, CallbackTask, PlanStatus

    guide = User.objects.get(username="guide")
    store_plan = CallbackPlan.objects.get(store=guide.store)
    hq_plan = CallbackPlan.objects.get(store__isnull=True)
    assert store_plan.status == hq_plan.status == PlanStatus.ACTIVE
    assert CallbackTask.objects.filter(plan=store_plan, assignee=guide).count() > 7
    assert CallbackAttempt.objects.filter(called_by=guide).count() == 7
    assert store_plan.task_count == CallbackTask.objects.filter(plan=store_plan).count()
    client.login(username="guide", password="siyu2026")
    worklist = client.get("/callbacks/")
    assert worklist.status_code == 200 and worklist.context["page"].object_list
    client.login(username="manager", password="siyu2026")
    funnel = client.get("/callbacks/funnel/")
    assert funnel.context["funnel"].total.called == 7
    assert "回访计划已启动" in "\n".join(demo)
