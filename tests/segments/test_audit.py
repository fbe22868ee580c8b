"""Creating and editing a segment leaves an audit row saying who changed what."""

import pytest

from members.audit import LogEntry
from members.models import empty_rule
from members.segments.services import segment_create, segment_update

pytestmark = pytest.mark.django_db

GROUP_RULE = {"op": "and", "items": [{"type": "rfm_group", "groups": ["important_value"]}]}


def test_creating_a_segment_is_audited_with_its_rule(hq_admin):
    segment = segment_create(name="十月", rule=GROUP_RULE, actor=hq_admin)

    entry = LogEntry.objects.get_for_object(segment).get()
    assert entry.actor == hq_admin
    assert entry.additional_data["event"] == "segment_created"
    assert entry.changes["name"] == [None, "十月"]
    assert entry.changes["rule"][1] == segment.rule


def test_editing_a_segment_audits_only_what_changed(hq_admin):
    segment = segment_create(name="十月", rule=GROUP_RULE, actor=hq_admin)

    segment_update(segment=segment, name="十月金卡", rule=segment.rule, actor=hq_admin)

    entry = LogEntry.objects.get_for_object(segment).latest("timestamp")
    assert entry.additional_data["event"] == "segment_updated"
    assert set(entry.changes) == {"name"}


def test_saving_a_segment_unchanged_writes_no_row(hq_admin):
    segment = segment_create(name="全部测试", rule=empty_rule(), actor=hq_admin)

    segment_update(segment=segment, name="全部测试", rule=segment.rule, actor=hq_admin)

    assert LogEntry.objects.get_for_object(segment).count() == 1


def test_hq_renaming_a_segment_in_the_admin_goes_through_the_service(client, hq_admin):
    from django.urls import reverse

    segment = segment_create(name="旧名", rule=GROUP_RULE, actor=hq_admin)
    client.force_login(hq_admin)
    url = reverse("admin:members_segment_change", args=[segment.pk])
    form = {"name": "新名", "description": "", "active": "on", "_save": "1"}
    form.update({f"sizes-{k}": v for k, v in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()})

    response = client.post(url, form)

    assert response.status_code == 302
    entry = LogEntry.objects.get_for_object(segment).latest("timestamp")
    assert entry.additional_data["event"] == "segment_updated"
    assert entry.changes["name"] == ["旧名", "新名"]


def test_a_stores_sub_segment_cannot_be_added_or_rebased_in_the_admin(client, hq_admin):
    from django.urls import reverse

    client.force_login(hq_admin)

    assert client.get(reverse("admin:members_segment_add")).status_code == 403
