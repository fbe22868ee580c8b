"""Exporting a segment's members: own permission, masked by default, formula-escaped, logged
(ExportLog + audit row), scoped through visible_to."""

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission

from members.models import ExportLog
from tests.members.factories import MemberFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

EVERYONE = {"op": "and", "items": []}


def allow_export(user):
    user.user_permissions.add(Permission.objects.get(codename="export_member"))
    return user


def rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def members(store_a, store_b, guide_a):
    formula = '=HYPERLINK("x")'
    return {
        "a": MemberFactory(home_store=store_a, guide=guide_a, name=formula, phone="13812345678"),
        "b": MemberFactory(home_store=store_b, name="乙店金丝雀", phone="13700007777"),
    }


def test_without_the_permission_export_is_403_and_logs_nothing(client, manager_a, guide_a):
    segment = SegmentFactory(rule=EVERYONE)
    for user in (manager_a, guide_a):
        client.force_login(user)
        assert client.post(f"/segments/{segment.pk}/export/").status_code == 403
    assert not ExportLog.objects.exists()


def test_a_managers_export_is_own_store_masked_escaped_and_logged(client, manager_a, members):
    segment = SegmentFactory(rule=EVERYONE)
    client.force_login(allow_export(manager_a))
    response = client.post(f"/segments/{segment.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *data = rows(response)
    assert header[:3] == ["会员ID", "姓名", "手机号"]
    assert len(data) == 1
    assert data[0][1] == '\'=HYPERLINK("x")'  # a formula is defused
    assert data[0][2] == "138****5678"
    assert data[0][7] == "10-15"  # birthday month and day only
    log = ExportLog.objects.get()
    assert (log.actor, log.store, log.kind, log.row_count, log.masked) == (
        manager_a,
        manager_a.store,
        "segment_members",
        1,
        True,
    )
    assert log.filters["segment"] == segment.pk
    audit = LogEntry.objects.get()
    assert audit.additional_data["event"] == "export" and audit.additional_data["rows"] == 1


def test_only_hq_may_ask_for_full_phones(client, manager_a, hq_admin, members):
    segment = SegmentFactory(rule=EVERYONE)
    client.force_login(allow_export(manager_a))
    assert client.post(f"/segments/{segment.pk}/export/", {"full_phones": "1"}).status_code == 403
    client.force_login(hq_admin)  # HQ admin fixtures are not superusers: grant it
    allow_export(hq_admin)
    response = client.post(f"/segments/{segment.pk}/export/", {"full_phones": "1"})
    phones = {row[2] for row in rows(response)[1:]}
    assert phones == {"13812345678", "13700007777"}
    assert ExportLog.objects.get(actor=hq_admin).masked is False


def test_another_stores_segment_cannot_be_exported(client, manager_a, store_b, members):
    other = SegmentFactory(store=store_b, rule=EVERYONE)
    client.force_login(allow_export(manager_a))
    assert client.post(f"/segments/{other.pk}/export/").status_code == 404
    assert not ExportLog.objects.exists()


def test_export_is_post_only(client, manager_a):
    segment = SegmentFactory(rule=EVERYONE)
    client.force_login(allow_export(manager_a))
    assert client.get(f"/segments/{segment.pk}/export/").status_code == 405
