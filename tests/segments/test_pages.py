"""The segment pages over HTTP: who may do what, the builder's protocol and its 400s, scoping,
query counts, the member-list segment filter, and the starter set."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from members.models import RfmGroup, Segment
from members.segments import rule_validate
from tests.members.factories import (
    GuideFactory,
    MemberFactory,
    MemberRfmFactory,
    RegionManagerFactory,
)
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

VALUE = {"op": "and", "items": [{"type": "rfm_group", "groups": ["important_value"]}]}


@pytest.fixture
def shops(store_a, store_b, guide_a):
    """Store A: a value member of guide A and a win-back member; store B: a value member."""

    def member(store, group, guide=None, name=None):
        person = MemberFactory(home_store=store, guide=guide, **({"name": name} if name else {}))
        MemberRfmFactory(member=person, group=group, total_spent=Decimal("500.00"))
        return person

    return {
        "a_value": member(store_a, RfmGroup.IMPORTANT_VALUE, guide_a, "甲店价值"),
        "a_winback": member(store_a, RfmGroup.ORDINARY_WINBACK, None, "甲店挽留"),
        "b_value": member(store_b, RfmGroup.IMPORTANT_VALUE, None, "乙店金丝雀"),
    }


def builder_post(client, url, *, name="新分组", action="save", nodes=(), **fields):
    data = {"name": name, "action": action, "node": ["r", *nodes], "r-op": "and", **fields}
    return client.post(url, data)


def test_hq_saves_an_hq_segment_from_the_builder(client, hq_admin, shops):
    client.force_login(hq_admin)
    response = builder_post(
        client,
        "/segments/new/",
        nodes=["r.0"],
        **{"r.0-type": "rfm_group", "r.0-groups": ["important_value"]},
    )
    segment = Segment.objects.get(name="新分组")
    assert response.status_code == 302 and response["Location"] == f"/segments/{segment.pk}/"
    assert segment.store is None and segment.created_by == hq_admin
    assert segment.rule == VALUE


def test_a_manager_makes_a_sub_segment_of_their_own_store(client, manager_a, store_a, store_b):
    client.force_login(manager_a)
    base = SegmentFactory(rule=VALUE)
    response = builder_post(
        client, "/segments/new/", name="本店价值", base=base.pk, store=store_b.pk
    )
    assert response.status_code == 302
    segment = Segment.objects.get(name="本店价值")
    assert (segment.store, segment.base) == (store_a, base)


def test_builder_actions_add_and_remove_without_saving(client, hq_admin):
    client.force_login(hq_admin)
    response = builder_post(
        client,
        "/segments/new/",
        action="group:r",
        nodes=["r.0"],
        **{"r.0-type": "birthday_month", "r.0-when": "this"},
    )
    assert response.status_code == 200
    tree = response.context["tree"]
    assert [child.is_group for child in tree.children] == [False, True]
    response = builder_post(
        client,
        "/segments/new/",
        action="remove:r.0",
        nodes=["r.0", "r.1"],
        **{"r.0-type": "birthday_month", "r.0-when": "this", "r.1-op": "or"},
    )
    assert [child.op for child in response.context["tree"].children] == ["or"]
    assert not Segment.objects.filter(name="新分组").exists()


def test_htmx_changes_render_the_fragment_with_the_preview(client, hq_admin, shops):
    client.force_login(hq_admin)
    response = client.post(
        "/segments/new/",
        {"node": ["r", "r.0"], "r.0-type": "rfm_group", "r.0-groups": "important_value"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert response.context["preview"].member_count == 2
    assert 'id="preview-count">2<' in body


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"r.0-type": "no_such_condition"}, "未知的条件类型“no_such_condition”。"),
        ({"r.0-type": "rfm_r", "r.0-min": "ten"}, "请输入数字。"),
        ({"r.0-type": "rfm_r", "r.0-min": "9", "r.0-max": "3"}, "最大值不能小于最小值。"),
        ({"r.0-type": "bought", "r.0-days": "3"}, "请填写 SKU、系列或品类名称。"),
        ({"r.0-type": "rfm_group", "r.0-groups": ["<script>"]}, "“&lt;script&gt;”不是可选的选项。"),
    ],
)  # fmt: skip
def test_bad_conditions_are_400_with_chinese_messages(client, hq_admin, fields, message):
    client.force_login(hq_admin)
    response = builder_post(client, "/segments/new/", nodes=["r.0"], **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Segment.objects.exists() or not Segment.objects.filter(name="新分组").exists()


def test_too_deep_nesting_is_400(client, hq_admin):
    client.force_login(hq_admin)
    nodes = ["r.0", "r.0.0", "r.0.0.0", "r.0.0.0.0"]
    response = builder_post(client, "/segments/new/", nodes=nodes)
    assert response.status_code == 400
    assert "分组最多嵌套 4 层。" in response.content.decode()


def test_missing_name_and_duplicate_name_are_400(client, hq_admin):
    client.force_login(hq_admin)
    assert "请填写分组名称。" in builder_post(client, "/segments/new/", name="").content.decode()
    SegmentFactory(name="金卡")
    response = builder_post(client, "/segments/new/", name="金卡")
    assert response.status_code == 400
    assert "已有同名分组“金卡”，请换一个名称。" in response.content.decode()


def test_who_may_edit_which_segment(client, manager_a, guide_a, store_a, store_b, hq_admin):
    hq_segment = SegmentFactory()
    own = SegmentFactory(store=store_a)
    other = SegmentFactory(store=store_b)
    region_manager = RegionManagerFactory(region=store_a.region)
    cases = [
        (manager_a, hq_segment, 403),
        (manager_a, own, 200),
        (manager_a, other, 404),
        (guide_a, own, 403),
        (region_manager, own, 403),
        (hq_admin, hq_segment, 200),
        (hq_admin, own, 403),
    ]
    for user, segment, status in cases:
        client.force_login(user)
        response = client.get(f"/segments/{segment.pk}/edit/")
        assert response.status_code == status, (user.role, segment.store_id)
    for user in (guide_a, region_manager):
        client.force_login(user)
        assert client.get("/segments/new/").status_code == 403


def test_detail_lists_only_own_members_with_masked_phones(client, manager_a, shops):
    client.force_login(manager_a)
    segment = SegmentFactory(rule=VALUE)
    body = client.get(f"/segments/{segment.pk}/").content.decode()
    own = shops["a_value"]
    assert own.name in body and f"{own.phone[:3]}****{own.phone[-4:]}" in body
    assert own.phone not in body
    assert "乙店金丝雀" not in body and "甲店挽留" not in body
    assert "门店分布" not in body


def test_list_shows_own_counts_and_never_another_stores_sub_segment(
    client, manager_a, store_a, store_b, shops, django_assert_max_num_queries
):
    hq = SegmentFactory(rule=VALUE, name="总部价值")
    hq.memberships.create(member=shops["a_value"])
    hq.memberships.create(member=shops["b_value"])
    SegmentFactory(store=store_b, name="乙店的二次分组")
    for number in range(5):
        SegmentFactory(store=store_a, name=f"甲店分组{number}", member_count=number)
    client.force_login(manager_a)
    # session, user, store (header), segments, own counts, size history
    with django_assert_max_num_queries(6):
        response = client.get("/segments/")
    body = response.content.decode()
    assert "乙店的二次分组" not in body and "甲店分组4" in body
    shown = {segment.name: segment.shown_count for segment in response.context["segments"]}
    assert shown["总部价值"] == 1  # only store A's member of the HQ segment


def test_hq_list_query_count_does_not_grow(client, hq_admin, django_assert_max_num_queries):
    for number in range(12):
        SegmentFactory(name=f"总部分组{number}")
    client.force_login(hq_admin)
    with django_assert_max_num_queries(4):
        assert client.get("/segments/").status_code == 200


def test_guide_segment_filter_only_ever_gives_their_own_members(client, guide_a, store_a, shops):
    other_guide = GuideFactory(store=store_a)
    MemberRfmFactory(member=MemberFactory(home_store=store_a, guide=other_guide, name="同店他人"))
    segment = SegmentFactory(rule={"op": "and", "items": []})
    client.force_login(guide_a)
    body = client.get("/members/", {"segment": segment.pk}).content.decode()
    assert "甲店价值" in body
    assert "同店他人" not in body and "乙店金丝雀" not in body and "甲店挽留" not in body
    api = client.get("/api/members/", {"segment": segment.pk}).json()
    assert [row["name"] for row in api["results"]] == ["甲店价值"]


def test_segment_filter_refuses_another_stores_segment(client, manager_a, store_b, shops):
    other = SegmentFactory(store=store_b)
    client.force_login(manager_a)
    assert client.get("/members/", {"segment": other.pk}).status_code == 400
    assert client.get("/api/members/", {"segment": other.pk}).status_code == 400


def test_a_broken_stored_rule_is_shown_not_a_500(client, hq_admin):
    segment = SegmentFactory(rule={"op": "and", "items": [{"type": "gone_condition"}]})
    client.force_login(hq_admin)
    response = client.get(f"/segments/{segment.pk}/")
    assert response.status_code == 200
    assert "该分组的规则已失效" in response.content.decode()


def test_materialise_now_is_for_who_may_edit(client, manager_a, store_a, shops):
    own = SegmentFactory(store=store_a, rule=VALUE)
    hq_segment = SegmentFactory(rule=VALUE)
    client.force_login(manager_a)
    assert client.post(f"/segments/{hq_segment.pk}/materialise/").status_code == 403
    assert client.post(f"/segments/{own.pk}/materialise/").status_code == 302


def test_starter_segments_exist_and_validate():
    starters = Segment.objects.filter(is_starter=True, store=None)
    names = set(starters.values_list("name", flat=True))
    assert {"重要价值客户", "未消费会员", "金卡会员", "本月生日", "本月新会员"} <= names
    assert {"营销窗口期", "流失会员", "近90天购买过紧致系列"} <= names
    assert starters.count() == 15
    for segment in starters:
        assert rule_validate(segment.rule) == [], segment.name


def test_audit_logs_are_not_written_by_reads(client, hq_admin, shops):
    client.force_login(hq_admin)
    client.get(f"/segments/{SegmentFactory(rule=VALUE).pk}/")
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"node": ["r.x", "r..", "", "r.0.0.0.0.0.0"], "r.x-type": "rfm_r"},
        {"node": ["r.0"], "r.0-type": "rfm_r", "r.0-min": "1e999", "r-op": "xor"},
        {"node": ["r.0"], "r.0-type": "store", "r.0-stores": ["abc", "-1", "99999999999999999999"]},
        {"node": ["r.0"] * 500, "r.0-type": "has_tag", "r.0-tag": "\x00"},
        {"action": "remove:r", "node": ["r"]},
        {"action": "add:r", "r-new": "nope"},
        {"action": "add:r.9", "name": "x" * 500, "description": "y" * 500},
        {"node": ["r.0"], "r.0-type": "birthday_month", "r.0-when": "given", "r.0-month": "13"},
    ],
)
def test_malformed_builder_posts_are_4xx_never_500(client, hq_admin, manager_a, data):
    for user in (hq_admin, manager_a):
        client.force_login(user)
        response = client.post("/segments/new/", {"action": "save", **data})
        assert 200 <= response.status_code < 500
        assert response.status_code != 302


def test_bad_page_numbers_are_404(client, hq_admin):
    segment = SegmentFactory()
    client.force_login(hq_admin)
    for page in ("abc", "0", "99999"):
        assert client.get(f"/segments/{segment.pk}/", {"page": page}).status_code == 404
