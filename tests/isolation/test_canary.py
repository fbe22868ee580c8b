"""INV-STORE-ISOLATION, the two-store canary: stores A and B hold unique strings; as A's manager
and as A's guide, request every store-scoped and public URL (with A's ids and with B's ids), and
every list filter pointed at B; no B canary may appear in any body. Then the other way round."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from callbacks.models import PlanStatus, TaskStatus
from coupons.models import UsableIn
from members.models import OwnershipChange, RfmGroup, Segment, Tag, TagFamily
from members.phones import mask_phone
from tests.callbacks.factories import (
    CallbackAttemptFactory,
    CallbackPlanFactory,
    CallbackTaskFactory,
)
from tests.coupons.factories import CouponFactory, CouponTemplateFactory, IssueBatchFactory
from tests.coupons.factories_roi import RedemptionFactory
from tests.isolation.routes import all_routes, classify, concrete_path
from tests.members.factories import (
    GuideFactory,
    MemberFactory,
    MemberRfmFactory,
    OrderFactory,
    OrderLineFactory,
    RfmGroupChangeFactory,
    RfmGroupCountFactory,
    RfmRunFactory,
    StoreFactory,
    StoreManagerFactory,
)

pytestmark = pytest.mark.django_db

SKIPPED_POSTS = {"logout/", "i18n/setlang/", "admin/logout/"}
# Each list and export, walked with every list filter pointed at the other store.
LIST_ROUTES = [("get", "/members/"), ("get", "/api/members/"), ("post", "/members/export/")]
# Each store's group size at the canary runs: a number no other figure on a page can produce.
GROUP_COUNT = {"A": 424242, "B": 919191}
RUN_DATES = (date(2026, 5, 1), date(2026, 6, 1))
# Each store's coupon face value and the order it was used on: sums no other figure can produce.
COUPON_FACE = {"A": Decimal("1717.17"), "B": Decimal("2929.29")}
COUPON_ORDER = {"A": Decimal("42424.42"), "B": Decimal("91919.19")}
# Each store's converted callback amount: a funnel sum no other figure can produce.
CALLBACK_AMOUNT = {"A": Decimal("31313.13"), "B": Decimal("57575.75")}
GROUP_PAGE_QUERIES = [
    {"date_from": RUN_DATES[0], "date_to": RUN_DATES[1]},
    {"date_from": RUN_DATES[0], "date_to": RUN_DATES[1], "store": "{store}"},
]


@dataclass
class Side:
    manager: object
    guide: object
    member: object
    order: object
    tag: object
    group_count: int
    segment: object
    coupon_canaries: list = field(default_factory=list)
    # The store's first batch and its expiring coupon: the ids the batch and coupon URLs take.
    coupon_ids: dict = field(default_factory=dict)
    # The store's own callback plan and its task: the ids the callback URLs take.
    callback_ids: dict = field(default_factory=dict)
    callback_canaries: list = field(default_factory=list)

    @property
    def canaries(self) -> list[str]:
        phone = self.member.phone
        return [
            self.member.name,
            phone,
            mask_phone(phone),
            self.order.order_no,
            self.guide.first_name,
            self.tag.name,
            f"REASON_{self.member.name}",
            str(self.group_count),
            self.segment.name,
            *self.coupon_canaries,
            *self.callback_canaries,
        ]


def _side(letter: str, phone: str) -> Side:
    store = StoreFactory(code=f"CAN{letter}", name=f"门店{letter}")
    manager = StoreManagerFactory(store=store, username=f"manager_{letter}")
    guide = GuideFactory(store=store, first_name=f"CANARYGUIDE{letter}")
    member = MemberFactory(home_store=store, guide=guide, name=f"CANARYMEMBER{letter}", phone=phone)
    order = OrderFactory(store=store, member=member, guide=guide, order_no=f"CANARYORDER{letter}")
    OrderLineFactory(order=order)
    tag = Tag.objects.create(name=f"CANARYTAG{letter}", family=TagFamily.BEHAVIOUR, store=store)
    member.tags.add(tag)
    OwnershipChange.objects.create(
        member=member,
        from_store=store,
        to_store=store,
        to_guide=guide,
        reason=f"REASON_{member.name}",
        changed_by=manager,
    )
    _rfm_history(member, GROUP_COUNT[letter])
    # A sub-segment of the store's own (all its members), and the export permission for the
    # manager and the guide, so the walk covers the segment pages and the bodies of the segment
    # and member-list exports in both roles' scopes.
    segment = Segment.objects.create(store=store, name=f"CANARYSEGMENT{letter}")
    export = Permission.objects.get(codename="export_member")
    manager.user_permissions.add(export)
    guide.user_permissions.add(export)
    coupon_ids, coupons = _coupon_history(member, letter)
    side = Side(
        manager, guide, member, order, tag, GROUP_COUNT[letter], segment, coupons, coupon_ids
    )
    side.callback_ids, side.callback_canaries = _callback_history(side, letter)
    return side


def _callback_history(side: Side, letter: str) -> tuple[dict, list[str]]:
    """The store's own plan, the member's task in it (reached, converted on the canary order)
    and the call: names, notes and a converted sum no other figure can produce."""
    plan = CallbackPlanFactory(
        store=side.member.home_store,
        name=f"CANARYPLAN{letter}",
        purpose=f"CANARYPURPOSE{letter}",
        segment=side.segment,
        status=PlanStatus.ACTIVE,
        activated_at=timezone.now(),
    )
    task = CallbackTaskFactory(
        plan=plan,
        member=side.member,
        status=TaskStatus.REACHED,
        note=f"CANARYNOTE{letter}",
        converted_order=side.order,
        converted_amount=CALLBACK_AMOUNT[letter],
    )
    CallbackAttemptFactory(
        task=task, outcome=TaskStatus.REACHED, note=f"CANARYCALL{letter}", called_by=side.guide
    )
    ids = {"task": task.pk, "plan": plan.pk}
    canaries = [
        plan.name,
        plan.purpose,
        f"CANARYNOTE{letter}",
        f"CANARYCALL{letter}",
        f"{CALLBACK_AMOUNT[letter]:,}",
    ]
    return ids, canaries


def _coupon_history(member, letter: str) -> tuple[dict, list[str]]:
    """A store template and batch, a coupon about to expire, and one used on an order: the
    unique strings and sums the coupon pages (lists, batches, ROI figures) must keep apart."""
    store = member.home_store
    template = CouponTemplateFactory(
        name=f"CANARYTEMPLATE{letter}",
        face_value=COUPON_FACE[letter],
        min_spend=Decimal(0),
        usable_in=UsableIn.STORES,
    )
    template.stores.add(store)
    batches = [IssueBatchFactory(template=template, store=store) for _ in range(2)]
    soon = timezone.localdate() + timedelta(days=1)
    soon_coupon = CouponFactory(
        batch=batches[0], member=member, code=f"CANARYCPN{letter}", valid_until=soon
    )
    used = CouponFactory(batch=batches[1], member=member, code=f"CANARYUSED{letter}")
    RedemptionFactory(
        coupon=used, order_no=f"CANARYREDEEM{letter}", order_amount=COUPON_ORDER[letter]
    )
    ids = {"batch": batches[0].pk, "coupon": soon_coupon.pk}
    return ids, [
        template.name,
        f"CANARYCPN{letter}",
        f"CANARYUSED{letter}",
        f"CANARYREDEEM{letter}",
        f"{COUPON_FACE[letter]:,}",
        f"{COUPON_ORDER[letter]:,}",
    ]


def _rfm_history(member, count: int) -> None:
    """The member's group, a group change between the two runs, and the store's group sizes."""
    earlier, later = (RfmRunFactory(business_date=day) for day in RUN_DATES)
    MemberRfmFactory(member=member, as_of=later.business_date, group=RfmGroup.IMPORTANT_RETENTION)
    RfmGroupChangeFactory(
        member=member,
        business_date=later.business_date,
        from_group=RfmGroup.IMPORTANT_VALUE,
        to_group=RfmGroup.IMPORTANT_RETENTION,
    )
    for run in (earlier, later):
        RfmGroupCountFactory(
            run=run, store=member.home_store, group=RfmGroup.IMPORTANT_VALUE, members=count
        )


@pytest.fixture
def sides(db):
    return {"A": _side("A", "13700000001"), "B": _side("B", "13600000002")}


def _paths(side: Side) -> list[tuple[str, str]]:
    objects = {
        "member": side.member.pk,
        "segment": side.segment.pk,
        **side.coupon_ids,
        **side.callback_ids,
    }
    fixed = {"object_id": side.member.pk, "order_no": side.order.order_no, "tag_id": side.tag.pk}
    result = []
    for route in all_routes():
        spec = classify(route)
        if spec.kind in ("store", "public") and route not in SKIPPED_POSTS:
            values = {"pk": objects[spec.kwargs.get("pk", "member")], **fixed}
            result.append((spec.method, concrete_path(route, values)))
    return result


def _filter_queries(other: Side) -> list[dict]:
    phone = other.member.phone
    return [
        {"guide": other.guide.pk},
        {"tag": other.tag.pk},
        {"q": phone[-4:]},
        {"q": phone},
        {"q": other.member.name},
        {"q": phone[:7]},
        {"birthday_month": other.member.birthday.month},
        {"source": other.member.source},
        {"rfm_group": RfmGroup.IMPORTANT_RETENTION},
        {"page_size": 1000},
        {"segment": other.segment.pk},
    ]


def _bodies(user, own: Side, other: Side):
    client = APIClient()
    for method, path in _paths(own) + _paths(other):
        client.force_login(user)
        response = getattr(client, method)(path)
        yield f"{method} {path}", response, ""
    for method, path in LIST_ROUTES:
        for params in _filter_queries(other):
            client.force_login(user)
            response = getattr(client, method)(path, params)
            yield f"{method.upper()} {path} {params}", response, str(params)
    for path, params in _callback_queries(other):
        client.force_login(user)
        yield f"GET {path} {params}", client.get(path, params), ""
    for query in GROUP_PAGE_QUERIES:
        params = {k: str(v).format(store=other.member.home_store_id) for k, v in query.items()}
        client.force_login(user)
        yield f"GET /groups/migration/ {params}", client.get("/groups/migration/", params), ""


def _callback_queries(other: Side) -> list[tuple[str, dict]]:
    """The worklist by the other store's guide, the funnel by every grouping and by the other
    store's plan."""
    funnel = [{"by": by} for by in ("plan", "store", "guide", "store_group", "region")]
    funnel += [{"period": "plan", "plan": other.callback_ids["plan"], "by": "guide"}]
    funnel += [{"period": "last_month"}]
    return [("/callbacks/", {"guide": other.guide.pk})] + [
        ("/callbacks/funnel/", params) for params in funnel
    ]


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def _leaks(body: str, other: Side, asked: str = "") -> list[str]:
    """Canaries of the other side in a body; a page may echo back only what the user typed."""
    return [canary for canary in other.canaries if canary in body and canary not in asked]


@pytest.mark.parametrize(("mine", "theirs"), [("A", "B"), ("B", "A")])
@pytest.mark.parametrize("role", ["manager", "guide"])
def test_no_canary_of_the_other_store_appears_anywhere(sides, mine, theirs, role):
    own, other = sides[mine], sides[theirs]
    user = getattr(own, role)
    checked = 0
    for label, response, asked in _bodies(user, own, other):
        assert response.status_code < 500, label
        body = _body(response)
        assert not _leaks(body, other, asked), (label, _leaks(body, other, asked))
        checked += 1
    assert checked > 20


def test_own_canaries_are_visible_to_own_manager(sides):
    # Guards the canary test itself: the strings it looks for do show up where they belong.
    own = sides["A"]
    client = APIClient()
    client.force_login(own.manager)
    body = client.get(f"/members/{own.member.pk}/").content.decode()
    assert own.member.name in body and mask_phone(own.member.phone) in body
    assert own.tag.name in body and own.guide.first_name in body
    assert own.order.order_no in body and f"REASON_{own.member.name}" in body
    assert "重要保持" in body
    groups = client.get("/groups/migration/").content.decode()
    assert str(own.group_count) in groups and "重要价值 中有 1 人变为 重要保持" in groups
    # The diagonal is the store's own count minus the member who moved: a sum reaching into the
    # other store would show another number here, which no canary string could spot.
    matrix = groups[groups.index('id="migration-matrix"') :]
    assert f'<span class="mx-n">{own.group_count - 1}</span>' in matrix
    coupons = client.get("/coupons/").content.decode()
    for canary in own.coupon_canaries:
        if not canary.startswith(("CANARYUSED", "CANARYREDEEM")):  # counted, not listed
            assert canary in coupons, canary
    card = client.get(f"/members/{own.member.pk}/").content.decode()
    assert "CANARYCPNA" in card and "CANARYUSEDA" in card


@pytest.mark.parametrize("role", ["manager", "guide"])
def test_the_walked_member_export_holds_own_canaries(sides, role):
    # Guards the walk over the export: its body is a CSV of the user's own members, so a B
    # canary would be seen there if the scope slipped.
    own = sides["A"]
    client = APIClient()
    client.force_login(getattr(own, role))
    response = client.post("/members/export/")
    assert response.status_code == 200 and response.streaming
    body = _body(response)
    assert own.member.name in body and mask_phone(own.member.phone) in body
    assert own.guide.first_name in body
    named = client.post("/members/export/", {"q": own.member.name})
    assert own.member.name in _body(named)


def test_admin_pages_show_no_canary_to_a_store_manager_with_staff_flag(client, sides):
    own, other = sides["A"], sides["B"]
    own.manager.is_staff = True
    own.manager.save()
    client.force_login(own.manager)
    for route in all_routes():
        spec = classify(route)
        if spec.kind != "hq" or spec.method != "get":
            continue
        path = concrete_path(route, {"object_id": other.member.pk, "content_type_id": 1})
        body = client.get(path).content.decode(errors="replace")
        assert not _leaks(body, other), (path, _leaks(body, other))


def test_own_callback_canaries_are_visible_where_they_belong(sides):
    # Guards the callback part of the walk: the plan, the call's note and the converted sum do
    # show up on the store's own pages, so a B canary would be seen there if the scope slipped.
    own = sides["A"]
    client = APIClient()
    client.force_login(own.manager)
    task = own.callback_ids["task"]
    worklist = client.get("/callbacks/").content.decode()
    assert own.member.name in worklist and "CANARYPLANA" in worklist
    page = client.get(f"/callbacks/tasks/{task}/").content.decode()
    assert "CANARYCALLA" in page and "CANARYPURPOSEA" in page
    funnel = client.get("/callbacks/funnel/", {"by": "plan"}).content.decode()
    assert "CANARYPLANA" in funnel and "¥31,313.13" in funnel
    plans = client.get("/callbacks/plans/").content.decode()
    assert "CANARYPLANA" in plans
