"""HQ admin pages for RFM: settings, runs, jobs, the member's figures, tags, the matrix page."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.models import JobChunk, JobRun, JobStatus
from members.models import RfmGroup, RfmRun, RfmSettings, Segment, Tag, TagFamily
from tests.members.factories import (
    MemberFactory,
    MemberRfmFactory,
    RfmGroupCountFactory,
    RfmRunFactory,
    TagFactory,
)
from tests.rfm_ui.factories import build_history

pytestmark = pytest.mark.django_db

G = RfmGroup
D1, D2 = date(2026, 5, 1), date(2026, 6, 1)


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


@pytest.fixture
def run_with_job(store_a, store_b):
    job = JobRun.objects.create(
        job="rfm_regroup",
        business_date=D2,
        status=JobStatus.RUNNING,
        step="classify",
        chunk_total=4,
        chunk_done=3,
    )
    JobChunk.objects.create(run=job, step="classify", lo=1, hi=100, status=JobStatus.FAILED)
    run = RfmRunFactory(business_date=D2, job_run=job, r_threshold=Decimal("45.5000"))
    RfmGroupCountFactory(run=run, store=store_a, group=G.IMPORTANT_VALUE, members=31)
    RfmGroupCountFactory(run=run, store=store_b, group=G.IMPORTANT_VALUE, members=11)
    return run


def settings_data(**overrides):
    data = {
        "window_days": 365,
        "r_method": "median",
        "r_fixed": "",
        "f_method": "median",
        "f_fixed": "",
        "m_method": "median",
        "m_fixed": "",
    }
    return {**data, **overrides}


def settings_url():
    return reverse("admin:members_rfmsettings_change", args=[RfmSettings.current().pk])


def test_settings_list_opens_the_one_row(hq_client):
    response = hq_client.get(reverse("admin:members_rfmsettings_changelist"))

    assert response.status_code == 302
    assert response.url == settings_url()
    assert RfmSettings.objects.count() == 1
    assert hq_client.get(response.url).status_code == 200


def test_settings_cannot_be_added_or_deleted(hq_client):
    RfmSettings.current()

    assert hq_client.get(reverse("admin:members_rfmsettings_add")).status_code == 403
    delete = reverse("admin:members_rfmsettings_delete", args=[RfmSettings.current().pk])
    assert hq_client.get(delete).status_code == 403


def test_settings_save_a_fixed_threshold(hq_client):
    response = hq_client.post(
        settings_url(), settings_data(window_days=180, r_method="fixed", r_fixed="45")
    )

    assert response.status_code == 302
    saved = RfmSettings.current()
    assert (saved.window_days, saved.r_method, saved.r_fixed) == (180, "fixed", Decimal("45"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"m_method": "fixed"}, "M 选择“固定值”时必须填写固定阈值。"),
        ({"f_method": "fixed", "f_fixed": ""}, "F 选择“固定值”时必须填写固定阈值。"),
        ({"window_days": 0}, "统计周期须在 1 到 3650 天之间。"),
        ({"window_days": 3651}, "统计周期须在 1 到 3650 天之间。"),
        ({"r_method": "fixed", "r_fixed": "-3"}, "固定阈值不能为负数。"),
    ],
)
def test_settings_validation_speaks_chinese(hq_client, overrides, message):
    before = RfmSettings.current()

    response = hq_client.post(settings_url(), settings_data(**overrides))

    assert response.status_code == 200
    assert message in response.text
    after = RfmSettings.current()
    assert (after.window_days, after.m_method) == (before.window_days, before.m_method)


@pytest.mark.parametrize("window", ["abc", "1e9", "99999999999999999999"])
def test_settings_garbage_is_not_a_500(hq_client, window):
    response = hq_client.post(settings_url(), settings_data(window_days=window))

    assert response.status_code == 200
    assert "errornote" in response.text or "error" in response.text


def test_run_list_and_detail_show_thresholds_job_and_brand_counts(hq_client, run_with_job):
    listing = hq_client.get(reverse("admin:members_rfmrun_changelist"))
    detail = hq_client.get(reverse("admin:members_rfmrun_change", args=[run_with_job.pk]))

    assert listing.status_code == 200
    assert "R 45.5" in listing.text and "3/4" in listing.text and "运行中" in listing.text
    assert reverse("admin:members_rfmrun_migration") in listing.text
    assert "全量" in listing.text
    assert detail.status_code == 200
    counts = detail.text[detail.text.index('id="brand-group-counts"') :]
    assert "重要价值" in counts and "42" in counts[: counts.index("</tr>")]


def test_a_run_from_a_base_shows_its_base_and_the_members_measured_again(hq_client, run_with_job):
    base = RfmRunFactory(business_date=D2 - timedelta(days=1), finished_at=timezone.now())
    RfmRun.objects.filter(pk=run_with_job.pk).update(base=base)
    JobRun.objects.filter(pk=run_with_job.job_run_id).update(detail={"measured": 1234})

    listing = hq_client.get(reverse("admin:members_rfmrun_changelist"))

    assert f"增量：基于 {base.business_date}，重算 1,234 人" in listing.text


def test_job_admin_shows_status_progress_and_chunks(hq_client, run_with_job):
    job = run_with_job.job_run

    listing = hq_client.get(reverse("admin:jobs_jobrun_changelist"))
    detail = hq_client.get(reverse("admin:jobs_jobrun_change", args=[job.pk]))
    chunks = hq_client.get(reverse("admin:jobs_jobchunk_changelist"))

    assert listing.status_code == 200 and "3/4" in listing.text
    assert detail.status_code == 200 and "classify 失败 1" in detail.text
    assert chunks.status_code == 200 and "失败" in chunks.text


def test_member_page_shows_rfm_figures_read_only(hq_client, member_a):
    MemberRfmFactory(member=member_a, group=G.IMPORTANT_WINBACK, monetary=Decimal("777.00"))

    response = hq_client.get(reverse("admin:members_member_change", args=[member_a.pk]))

    assert response.status_code == 200
    assert "重要挽留" in response.text and "777.00" in response.text
    assert 'name="rfm-0-monetary"' not in response.text


def test_tag_list_shows_rule_tags_and_member_counts(hq_client, store_a):
    segment = Segment.objects.create(name="金卡")
    rule_tag = Tag.objects.create(
        name="金卡会员", family=TagFamily.CONSUMPTION, rule_segment=segment
    )
    for member in MemberFactory.create_batch(3, home_store=store_a):
        member.tags.add(rule_tag)

    response = hq_client.get(reverse("admin:members_tag_changelist"))

    assert response.status_code == 200
    row = response.text[response.text.index("金卡会员") :]
    assert "金卡" in row and ">3<" in row[: row.index("</tr>")]


def test_a_rule_tag_must_be_an_hq_tag(hq_client, store_a):
    segment = Segment.objects.create(name="金卡")
    tag = TagFactory(store=None)
    url = reverse("admin:members_tag_change", args=[tag.pk])

    response = hq_client.post(
        url,
        {"name": tag.name, "family": tag.family, "store": store_a.pk, "rule_segment": segment.pk},
    )

    assert response.status_code == 200
    assert "规则标签只能是总部标签" in response.text
    tag.refresh_from_db()
    assert tag.rule_segment is None


def test_matrix_page_for_hq(hq_client, store_a, store_b, region):
    people = [MemberFactory(home_store=store_a) for _ in range(3)]
    build_history({p: [G.IMPORTANT_VALUE, G.IMPORTANT_RETENTION] for p in people}, [D1, D2])

    response = hq_client.get(reverse("admin:members_rfmrun_migration"))

    assert response.status_code == 200
    assert "自 2026-05-01 至 2026-06-01，重要价值 中有 3 人变为 重要保持。" in response.text
    assert "新分群" in response.text and "mx-heat-5" in response.text
    assert "css/matrix.css" in response.text


def test_matrix_page_filters_by_region(hq_client, store_a, store_b, region):
    build_history(
        {MemberFactory(home_store=store_b): [G.ORDINARY_VALUE, G.ORDINARY_WINBACK]}, [D1, D2]
    )

    response = hq_client.get(reverse("admin:members_rfmrun_migration"), {"region": region.pk})

    assert response.status_code == 200
    assert response.context["matrix"].total == 0


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-05-02", "date_to": "2026-06-01"},
        {"date_from": "2026-06-01", "date_to": "2026-05-01"},
        {"date_from": "x", "date_to": "\x00"},
        {"store": "99999999"},
        {"region": "abc"},
    ],
)
def test_matrix_page_bad_input_is_a_400_in_chinese(hq_client, store_a, params):
    build_history({MemberFactory(home_store=store_a): [G.ORDINARY_VALUE] * 2}, [D1, D2])

    response = hq_client.get(reverse("admin:members_rfmrun_migration"), params)

    assert response.status_code == 400
    assert response.context["matrix"] is None


ADMIN_PAGES = [
    ("admin:members_rfmsettings_changelist", []),
    ("admin:members_rfmrun_changelist", []),
    ("admin:members_rfmrun_migration", []),
    ("admin:jobs_jobrun_changelist", []),
    ("admin:jobs_jobchunk_changelist", []),
]


@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
@pytest.mark.parametrize("who", ["manager_a", "guide_a"])
def test_store_staff_are_refused_even_with_the_staff_flag(client, request, who, name, args):
    user = request.getfixturevalue(who)
    user.is_staff = True
    user.save()
    client.force_login(user)

    response = client.get(reverse(name, args=args))

    assert response.status_code == 403


def test_matrix_page_searches_the_store_instead_of_listing_every_store(hq_client, store_a, store_b):
    build_history({MemberFactory(home_store=store_b): [G.ORDINARY_VALUE] * 2}, [D1, D2])

    listed = hq_client.get(reverse("admin:members_rfmrun_migration"))
    chosen = hq_client.get(reverse("admin:members_rfmrun_migration"), {"store": store_b.pk})

    store_select = re.compile(r'<select name="store".*?</select>', re.S)
    assert "admin-autocomplete" in listed.text and "select2" in listed.text
    assert str(store_a) not in store_select.search(listed.text).group()
    assert chosen.context["matrix"].total == 1
    assert str(store_b) in store_select.search(chosen.text).group()
