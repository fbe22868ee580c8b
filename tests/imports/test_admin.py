"""The HQ admin upload: HQ imports and reads the result; nobody else gets in; bad files: 400."""

import csv

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from members.audit import LogEntry
from members.models import ImportKind, ImportRun, Member, Order
from tests.imports.helpers import HEADERS
from tests.members.factories import HqOperatorFactory, StoreManagerFactory

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:members_importrun_upload")
GOOD_AND_BAD = "\n".join(
    [
        HEADERS[ImportKind.MEMBERS],
        "13812345678,张三,F,,2013-12-08,A001,,",
        "1.38E+10,李四,F,,2013-12-08,A001,,",
        "13912345678,=cmd(),F,,2013-12-08,ZZZ,,",
    ]
)


def upload(client, kind=ImportKind.MEMBERS, content=GOOD_AND_BAD, encoding="utf-8", name="m.csv"):
    """Post the file; the import job it enqueues after commit runs then (eager, as in the demo)."""
    data = content.encode(encoding) if isinstance(content, str) else content
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(UPLOAD, {"kind": kind, "file": file})


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files wait for their job under MEDIA_ROOT: a temporary one here."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


@pytest.fixture
def manager_client(client, store_a):
    """A store manager who somehow has is_staff: the admin must still refuse them."""
    client.force_login(StoreManagerFactory(store=store_a, is_staff=True))
    return client


def test_hq_sees_the_upload_form(hq_client):
    response = hq_client.get(UPLOAD)

    assert response.status_code == 200
    assert "上传导入" in response.text
    assert HEADERS[ImportKind.ORDERS] in response.text


def test_hq_upload_imports_and_lands_on_the_run_with_its_counts(hq_client, hq_admin, store_a):
    response = upload(hq_client)

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:members_importrun_change", args=[run.pk])
    assert (run.kind, run.file_name, run.created_by) == (ImportKind.MEMBERS, "m.csv", hq_admin)
    assert (run.rows_read, run.rows_created, run.rows_rejected) == (3, 1, 2)
    assert Member.objects.count() == 1

    page = hq_client.get(response.url)
    assert page.status_code == 200
    assert "读取 3 行，新增 1" in page.text
    assert "科学计数法" in page.text
    assert "下载错误行 CSV" in page.text


def test_hq_operator_may_import_too(client, store_a):
    client.force_login(HqOperatorFactory())

    assert upload(client, content=GOOD_AND_BAD.encode("gb18030")).status_code == 302


def test_a_large_upload_spooled_to_disk_imports_the_same(hq_client, store_a, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0

    assert upload(hq_client, encoding="utf-8-sig").status_code == 302
    assert ImportRun.objects.get().rows_created == 1


def test_the_bad_row_report_downloads_as_excel_ready_csv_and_is_logged(
    hq_client, hq_admin, store_a
):
    upload(hq_client)
    run = ImportRun.objects.get()

    response = hq_client.get(reverse("admin:members_importrun_errors_csv", args=[run.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(body.lstrip("\ufeff").splitlines()))
    assert rows[0] == ["行号", "列", "值", "原因"]
    assert [r[:2] for r in rows[1:]] == [["3", "phone"], ["4", "store_code"]]
    assert LogEntry.objects.filter(actor=hq_admin, additional_data__event="export").exists()


def test_a_wrong_header_shows_a_chinese_error_on_the_form_with_a_400(hq_client):
    response = upload(hq_client, kind=ImportKind.ORDERS)

    assert response.status_code == 400
    assert "表头不正确" in response.text
    assert "缺少列 order_no" in response.text
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"PK\x03\x04\x00\x00", b"\xff\xfe\xfa\x80\x81\xff\xff", b"\x00\x00\x00"],
    ids=["empty", "xlsx", "undecodable", "nul bytes"],
)
def test_malformed_files_are_a_400_never_a_500(hq_client, content):
    response = upload(hq_client, kind=ImportKind.ORDERS, content=content)

    assert response.status_code == 400
    assert not Order.objects.exists()


def test_a_missing_file_or_unknown_kind_is_a_400(hq_client):
    assert hq_client.post(UPLOAD, {"kind": ImportKind.ORDERS}).status_code == 400
    assert upload(hq_client, kind="coupons").status_code == 400


def test_a_store_manager_cannot_upload(manager_client, store_a):
    assert manager_client.get(UPLOAD).status_code == 403
    assert upload(manager_client).status_code == 403
    assert not Member.objects.exists()
    assert not ImportRun.objects.exists()


def test_a_store_manager_cannot_read_runs_or_reports(client, hq_admin, store_a):
    client.force_login(hq_admin)
    upload(client)
    run = ImportRun.objects.get()
    client.force_login(StoreManagerFactory(store=store_a, is_staff=True))

    for url in (
        reverse("admin:members_importrun_changelist"),
        reverse("admin:members_importrun_change", args=[run.pk]),
        reverse("admin:members_importrun_errors_csv", args=[run.pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_store_staff_without_admin_access_are_sent_to_the_login(client, manager_a):
    client.force_login(manager_a)

    response = client.get(UPLOAD)

    assert response.status_code == 302
    assert "login" in response.url


def test_the_run_list_shows_counts_and_the_upload_button(hq_client, store_a):
    upload(hq_client)

    response = hq_client.get(reverse("admin:members_importrun_changelist"))

    assert response.status_code == 200
    assert "m.csv" in response.text
    assert UPLOAD in response.text


def test_an_unknown_run_report_is_a_404(hq_client):
    assert (
        hq_client.get(reverse("admin:members_importrun_errors_csv", args=[999])).status_code == 404
    )
