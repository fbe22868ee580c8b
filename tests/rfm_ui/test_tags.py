"""Tags by hand: store staff tag their own visible members, audited; rule tags stay the system's."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from members.errors import RuleViolation
from members.models import MemberTag, Segment, Tag, TagFamily
from members.tags import member_tag_add, member_tag_remove
from tests.members.factories import MemberFactory, RegionManagerFactory, TagFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def add_url(member):
    return reverse("portal:member_tag_add", kwargs={"pk": member.pk})


def new_url(member):
    return reverse("portal:member_tag_create", kwargs={"pk": member.pk})


def remove_url(member, tag):
    return reverse("portal:member_tag_remove", kwargs={"pk": member.pk, "tag_id": tag.pk})


def audit_events(member):
    rows = LogEntry.objects.get_for_object(member).order_by("timestamp")
    return list(rows.values_list("additional_data__event", flat=True))


@pytest.fixture
def hq_tag(db):
    return TagFactory(name="爱买面膜", family=TagFamily.BEHAVIOUR, store=None)


@pytest.fixture
def rule_tag(db):
    segment = Segment.objects.create(name="金卡客户")
    return Tag.objects.create(name="金卡", family=TagFamily.CONSUMPTION, rule_segment=segment)


@pytest.fixture
def tag_b(store_b):
    return TagFactory(name="乙店专属", store=store_b)


def test_guide_adds_an_hq_tag_with_htmx_and_it_is_audited(login, guide_a, member_a, hq_tag):
    response = login(guide_a).post(add_url(member_a), {"tag": hq_tag.pk}, **HTMX)

    assert response.status_code == 200
    assert 'id="member-tags"' in response.text and "爱买面膜" in response.text
    assert "<html" not in response.text
    link = MemberTag.objects.get(member=member_a, tag=hq_tag)
    assert link.tagged_by == guide_a
    assert audit_events(member_a) == ["member_tag_add"]


def test_adding_a_tag_twice_changes_nothing(login, guide_a, member_a, hq_tag):
    client = login(guide_a)
    client.post(add_url(member_a), {"tag": hq_tag.pk}, **HTMX)

    client.post(add_url(member_a), {"tag": hq_tag.pk}, **HTMX)

    assert MemberTag.objects.filter(member=member_a).count() == 1
    assert audit_events(member_a) == ["member_tag_add"]


def test_manager_removes_a_tag_and_it_is_audited(login, manager_a, member_a, hq_tag):
    member_a.tags.add(hq_tag)

    response = login(manager_a).post(remove_url(member_a, hq_tag), **HTMX)

    assert response.status_code == 200
    assert not MemberTag.objects.filter(member=member_a).exists()
    assert audit_events(member_a) == ["member_tag_remove"]


def test_a_plain_post_redirects_to_the_member(login, manager_a, member_a, hq_tag):
    response = login(manager_a).post(add_url(member_a), {"tag": hq_tag.pk})

    assert response.status_code == 302
    assert response.url == reverse("portal:member_detail", kwargs={"pk": member_a.pk})


def test_rule_tags_are_refused_in_chinese(login, manager_a, member_a, rule_tag):
    client = login(manager_a)

    added = client.post(add_url(member_a), {"tag": rule_tag.pk}, **HTMX)
    member_a.tags.add(rule_tag)  # as the nightly job would
    removed = client.post(remove_url(member_a, rule_tag))

    assert added.status_code == 400 and removed.status_code == 400
    assert "规则标签，由系统每晚按规则计算，不能手工添加或移除" in added.text
    assert "规则标签" in removed.text and "<html" in removed.text  # the whole page, plain post
    assert MemberTag.objects.filter(member=member_a, tag=rule_tag).exists()
    assert audit_events(member_a) == []


def test_the_choice_list_offers_no_rule_tag_and_no_other_stores_tag(
    login, manager_a, member_a, hq_tag, rule_tag, tag_b
):
    form = login(manager_a).get(reverse("portal:member_detail", kwargs={"pk": member_a.pk}))
    section = form.text[form.text.index('id="member-tags"') :]

    assert "爱买面膜" in section
    assert "金卡" not in section and "乙店专属" not in section


def test_another_stores_tag_is_rejected(login, manager_a, member_a, tag_b):
    client = login(manager_a)

    added = client.post(add_url(member_a), {"tag": tag_b.pk}, **HTMX)
    removed = client.post(remove_url(member_a, tag_b), **HTMX)

    assert added.status_code == 400 and "所选标签不存在或不能用于该会员" in added.text
    assert removed.status_code == 404
    assert "乙店专属" not in added.text
    assert not MemberTag.objects.exists()


@pytest.mark.parametrize("who", ["manager_a", "guide_a"])
def test_another_stores_member_is_404(request, login, who, member_b, hq_tag):
    client = login(request.getfixturevalue(who))
    member_b.tags.add(hq_tag)

    responses = [
        client.post(add_url(member_b), {"tag": hq_tag.pk}),
        client.post(new_url(member_b), {"name": "新标签", "family": "behaviour"}),
        client.post(remove_url(member_b, hq_tag)),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert MemberTag.objects.filter(member=member_b).count() == 1


def test_a_guide_cannot_tag_a_member_bound_to_another_guide(login, guide_a, store_a, hq_tag):
    someone_elses = MemberFactory(home_store=store_a)

    response = login(guide_a).post(add_url(someone_elses), {"tag": hq_tag.pk})

    assert response.status_code == 404


def test_manager_creates_a_store_tag_in_a_family(login, manager_a, member_a, store_a):
    response = login(manager_a).post(
        new_url(member_a), {"name": " 爱喝咖啡 ", "family": TagFamily.BEHAVIOUR}, **HTMX
    )

    assert response.status_code == 200
    tag = Tag.objects.get(name="爱喝咖啡")
    assert tag.store == store_a and tag.family == TagFamily.BEHAVIOUR
    assert member_a.tags.filter(pk=tag.pk).exists()
    assert LogEntry.objects.filter(additional_data__event="store_tag_create").count() == 1
    assert audit_events(member_a) == ["member_tag_add"]


def test_a_guide_only_applies_existing_tags(login, guide_a, member_a):
    client = login(guide_a)
    page = client.get(reverse("portal:member_detail", kwargs={"pk": member_a.pk}))

    response = client.post(new_url(member_a), {"name": "导购新建", "family": "behaviour"}, **HTMX)

    assert "新建门店标签" not in page.text
    assert response.status_code == 403 and "只有店长可以新建门店标签" in response.text
    assert not Tag.objects.filter(name="导购新建").exists()


def test_a_tag_name_already_taken_is_a_409(login, manager_a, member_a, hq_tag):
    response = login(manager_a).post(
        new_url(member_a), {"name": hq_tag.name, "family": "behaviour"}, **HTMX
    )

    assert response.status_code == 409 and "已有名为“爱买面膜”的标签" in response.text


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (add_url, {"tag": "abc"}),
        (add_url, {"tag": ""}),
        (add_url, {"tag": "99999999999999999999999"}),
        (add_url, {}),
        (new_url, {"name": "长" * 51, "family": "behaviour"}),
        (new_url, {"name": "x", "family": "nope"}),
        (new_url, {"name": "   ", "family": "behaviour"}),
        (new_url, {"name": "a\x00b", "family": "behaviour"}),
    ],
)
def test_bad_input_is_a_400_not_a_500(login, manager_a, member_a, url, data):
    response = login(manager_a).post(url(member_a), data, **HTMX)

    assert response.status_code == 400
    assert 'class="alert"' in response.text or "field-error" in response.text


def test_hq_reads_tags_in_the_portal_without_forms(login, hq_admin, member_a, hq_tag):
    member_a.tags.add(hq_tag)

    page = login(hq_admin).get(reverse("portal:member_detail", kwargs={"pk": member_a.pk}))

    assert "爱买面膜" in page.text and 'name="tag"' not in page.text


def test_region_managers_do_not_tag_by_hand(login, region, member_a, hq_tag):
    response = login(RegionManagerFactory(region=region)).post(
        add_url(member_a), {"tag": hq_tag.pk}, **HTMX
    )

    assert response.status_code == 403
    assert not MemberTag.objects.exists()


def test_the_service_refuses_another_stores_member(manager_a, member_b, hq_tag):
    with pytest.raises(RuleViolation) as refused:
        member_tag_add(member=member_b, tag=hq_tag, actor=manager_a)

    assert refused.value.status_code == 404
    with pytest.raises(RuleViolation):
        member_tag_remove(member=member_b, tag=hq_tag, actor=manager_a)
