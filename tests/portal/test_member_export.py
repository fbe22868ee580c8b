"""The member list's CSV export: own permission, masked by default, the list's filters, scoped
through visible_to, formula-escaped, logged (ExportLog + audit row), bounded queries, capped."""

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members import exports
from members.models import ExportLog, Source
from tests.members.factories import GuideFactory, MemberFactory, RegionManagerFactory

pytestmark = pytest.mark.django_db

EXPORT = reverse("portal:member_export")
LIST = reverse("portal:member_list")


def allow_export(user):
    user.user_permissions.add(Permission.objects.get(codename="export_member"))
    return user


def rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="members-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def names(response) -> set[str]:
    return {row[1] for row in rows(response)[1:]}


# --- Permission ---------------------------------------------------------------------------------


def test_without_the_permission_export_is_403_in_chinese_and_logs_nothing(
    login, manager_a, guide_a, member_a
):
    for user in (manager_a, guide_a):
        response = login(user).post(EXPORT)
        assert response.status_code == 403
        assert "您没有导出会员名单的权限。" in response.content.decode()
    assert not ExportLog.objects.exists() and not LogEntry.objects.exists()


def test_the_button_shows_only_with_the_permission(login, manager_a, member_a):
    client = login(manager_a)
    assert EXPORT not in client.get(LIST).content.decode()
    allow_export(manager_a)
    page = client.get(LIST, {"source": Source.IN_STORE}).content.decode()
    assert f'action="{EXPORT}"' in page
    # The button posts the filters in force, so the file is the list on screen.
    assert f'name="source" value="{Source.IN_STORE}"' in page


def test_the_button_follows_the_filters_in_the_htmx_fragment(login, manager_a, member_a):
    fragment = login(allow_export(manager_a)).get(LIST, {"q": "会员"}, headers={"HX-Request": "1"})
    body = fragment.content.decode()
    assert f'action="{EXPORT}"' in body and 'name="q" value="会员"' in body


def test_export_is_post_only(login, manager_a):
    assert login(allow_export(manager_a)).get(EXPORT).status_code == 405


def test_anonymous_is_sent_to_login(client):
    response = client.post(EXPORT)
    assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))


# --- Scope, filters, masking, escaping -----------------------------------------------------------


def test_a_managers_export_is_own_store_masked_and_month_day_only(
    login, manager_a, store_a, guide_a, canary_b
):
    MemberFactory(home_store=store_a, guide=guide_a, name="王晓燕", phone="13812345678")
    header, *data = rows(login(allow_export(manager_a)).post(EXPORT))
    assert header[:3] == ["会员ID", "姓名", "手机号"]
    assert [row[1] for row in data] == ["王晓燕"]
    assert data[0][2] == "138****5678"
    assert data[0][7] == "10-15"
    assert canary_b.phone not in str(data) and canary_b.name not in str(data)


def test_the_list_filters_are_respected(login, manager_a, store_a, guide_a, other_guide_a):
    MemberFactory(home_store=store_a, guide=guide_a, name="甲一", source=Source.REFERRAL)
    MemberFactory(home_store=store_a, guide=other_guide_a, name="甲二", source=Source.REFERRAL)
    MemberFactory(home_store=store_a, guide=guide_a, name="甲三", source=Source.GROUND)
    client = login(allow_export(manager_a))
    assert names(client.post(EXPORT, {"source": Source.REFERRAL})) == {"甲一", "甲二"}
    assert names(client.post(EXPORT, {"guide": guide_a.pk})) == {"甲一", "甲三"}
    assert names(client.post(EXPORT, {"q": "甲二"})) == {"甲二"}


def test_a_guide_exports_only_their_own_members(login, guide_a, other_guide_a, store_a, member_a):
    MemberFactory(home_store=store_a, guide=other_guide_a, name="别人的会员")
    assert names(login(allow_export(guide_a)).post(EXPORT)) == {member_a.name}


def test_a_region_manager_exports_the_regions_stores(login, region, store_a, member_a, canary_b):
    manager = allow_export(RegionManagerFactory(region=region))
    assert names(login(manager).post(EXPORT)) == {member_a.name}


def test_formulae_are_escaped(login, manager_a, store_a):
    MemberFactory(home_store=store_a, name='=HYPERLINK("http://x")')
    MemberFactory(home_store=store_a, name="+1")
    exported = names(login(allow_export(manager_a)).post(EXPORT))
    assert exported == {'\'=HYPERLINK("http://x")', "'+1"}


def test_only_hq_may_ask_for_full_phones(login, manager_a, hq_admin, member_a, canary_b):
    response = login(allow_export(manager_a)).post(EXPORT, {"full_phones": "1"})
    assert response.status_code == 403
    assert "只有总部可以导出完整手机号。" in response.content.decode()
    client = login(allow_export(hq_admin))
    phones = {row[2] for row in rows(client.post(EXPORT, {"full_phones": "1"}))[1:]}
    assert phones == {member_a.phone, canary_b.phone}
    assert ExportLog.objects.get().masked is False


def test_hq_exports_every_store_masked_by_default(login, hq_admin, member_a, canary_b):
    data = rows(login(allow_export(hq_admin)).post(EXPORT))[1:]
    assert {row[2] for row in data} == {"139****" + member_a.phone[-4:], "137****7777"}
    assert {row[7] for row in data} == {"1990-10-15"}  # HQ sees the full date of birth


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"birthday_month": "13"},
        {"birthday_month": "三月"},
        {"source": "nowhere"},
        {"rfm_group": "x"},
        {"tag": "not-a-number"},
        {"segment": "999999"},
        {"q": "a\x00b"},
    ],
)
def test_a_bad_filter_is_400_and_logs_nothing(login, manager_a, member_a, params):
    response = login(allow_export(manager_a)).post(EXPORT, params)
    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()
    assert not ExportLog.objects.exists()


def test_another_stores_guide_as_filter_is_400(login, manager_a, guide_b, member_a):
    response = login(allow_export(manager_a)).post(EXPORT, {"guide": guide_b.pk})
    assert response.status_code == 400
    assert not ExportLog.objects.exists()


def test_a_list_over_the_cap_is_refused_with_a_message(login, manager_a, store_a, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    MemberFactory.create_batch(3, home_store=store_a)
    response = login(allow_export(manager_a)).post(EXPORT)
    assert response.status_code == 400
    assert "请缩小筛选范围后再导出" in response.content.decode()
    assert not ExportLog.objects.exists()
    MemberFactory.create_batch(1, home_store=store_a, source=Source.GROUND)
    assert len(rows(login(manager_a).post(EXPORT, {"source": Source.GROUND}))) == 2


def test_the_count_is_bounded_not_a_scan_of_every_member(login, hq_admin, member_a, canary_b):
    client = login(allow_export(hq_admin))
    with CaptureQueriesContext(connection) as queries:
        rows(client.post(EXPORT))
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts), counts


# --- Logs ---------------------------------------------------------------------------------------


def test_each_export_writes_an_export_log_and_an_audit_row(login, manager_a, store_a, guide_a):
    MemberFactory.create_batch(3, home_store=store_a, guide=guide_a, source=Source.REFERRAL)
    MemberFactory(home_store=store_a, source=Source.GROUND)
    rows(login(allow_export(manager_a)).post(EXPORT, {"source": Source.REFERRAL, "tag": ""}))
    log = ExportLog.objects.get()
    assert (log.actor, log.store, log.kind, log.row_count, log.masked) == (
        manager_a,
        store_a,
        "member_list",
        3,
        True,
    )
    assert log.filters == {"source": Source.REFERRAL}
    audit = LogEntry.objects.get()
    assert audit.actor == manager_a
    assert audit.additional_data["event"] == "export"
    assert audit.additional_data["kind"] == "member_list"
    assert audit.additional_data["rows"] == 3
    assert audit.additional_data["filters"] == {"source": Source.REFERRAL}


def test_a_phone_searched_for_is_masked_in_the_logs(login, manager_a, store_a):
    MemberFactory(home_store=store_a, phone="13812345678")
    rows(login(allow_export(manager_a)).post(EXPORT, {"q": "13812345678"}))
    assert ExportLog.objects.get().filters == {"q": "138****5678"}
    assert "13812345678" not in str(LogEntry.objects.get().additional_data)
    assert ExportLog.objects.get().row_count == 1


# --- Queries ------------------------------------------------------------------------------------


def _export_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        rows(client.post(EXPORT, params or {}))
    return len(queries.captured_queries)


def test_query_count_does_not_grow_with_rows(
    login, manager_a, store_a, guide_a, django_assert_max_num_queries
):
    client = login(allow_export(manager_a))
    MemberFactory.create_batch(3, home_store=store_a, guide=guide_a)
    few = _export_queries(client, {"guide": guide_a.pk})
    more_guides = GuideFactory.create_batch(3, store=store_a)
    for guide in more_guides:
        MemberFactory.create_batch(20, home_store=store_a, guide=guide)
    MemberFactory.create_batch(20, home_store=store_a, guide=guide_a)
    assert _export_queries(client, {"guide": guide_a.pk}) == few
    assert _export_queries(client) <= few
    # session, user, permissions (user, groups), guide choice, bounded count, export log,
    # content type (first time), audit row, savepoints, the rows
    with django_assert_max_num_queries(14):
        rows(client.post(EXPORT, {"guide": guide_a.pk}))
