"""The HQ admin upload as a background job: queued after commit, followed on the run's page,
finished or failed with a reason; a job delivered twice does no harm."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from members.imports.runs import import_run_execute
from members.imports.status import import_run_move
from members.models import ImportKind, ImportRun, ImportStatus, Member
from members.tasks import IMPORT_TIME_LIMIT, import_run_task
from members.transitions import IllegalTransition
from tests.imports.helpers import HEADERS
from tests.members.factories import StoreManagerFactory

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:members_importrun_upload")
MEMBERS = "\n".join(
    [
        HEADERS[ImportKind.MEMBERS],
        "13812345678,张三,F,,2013-12-08,A001,,",
        "1.38E+10,李四,F,,2013-12-08,A001,,",
    ]
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


def post_upload(client, content=MEMBERS):
    file = SimpleUploadedFile("m.csv", content.encode(), content_type="text/csv")
    return client.post(UPLOAD, {"kind": ImportKind.MEMBERS, "file": file})


def progress_url(run):
    return reverse("admin:members_importrun_progress", args=[run.pk])


def test_an_upload_is_kept_with_a_queued_run_and_its_job_starts_after_commit(
    hq_client, store_a, media_root
):
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        response = post_upload(hq_client)

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert (run.status, run.file_size, run.rows_read) == (
        ImportStatus.QUEUED,
        len(MEMBERS.encode()),
        0,
    )
    assert (media_root / run.file.name).read_bytes() == MEMBERS.encode()
    assert not Member.objects.exists()
    assert len(callbacks) == 1

    callbacks[0]()

    run.refresh_from_db()
    assert (run.status, run.rows_created, run.rows_rejected) == (ImportStatus.FINISHED, 1, 1)
    assert run.file.name == ""
    assert not list((media_root / "imports").iterdir())  # the file (phones) is gone
    assert run.started_at <= run.finished_at


def test_the_run_page_polls_its_progress_while_the_job_is_queued(hq_client, store_a):
    with TestCase.captureOnCommitCallbacks(execute=False):
        post_upload(hq_client)
    run = ImportRun.objects.get()

    page = hq_client.get(reverse("admin:members_importrun_change", args=[run.pk]))
    fragment = hq_client.get(progress_url(run), HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert f'hx-get="{progress_url(run)}"' in page.text
    assert "排队中" in page.text
    assert "导入结束后在这里显示错误行" in page.text
    assert fragment.status_code == 200
    assert 'hx-trigger="every 1s"' in fragment.text


def test_the_poll_that_sees_the_job_ended_reloads_the_page_with_the_report(hq_client, store_a):
    with TestCase.captureOnCommitCallbacks(execute=True):
        post_upload(hq_client)
    run = ImportRun.objects.get()

    poll = hq_client.get(progress_url(run), HTTP_HX_REQUEST="true")
    page = hq_client.get(reverse("admin:members_importrun_change", args=[run.pk]))

    assert poll.headers["HX-Refresh"] == "true"
    assert "读取 2 行，新增 1，更新 0，未变化 0，拒绝 1" in page.text
    assert "科学计数法" in page.text
    assert "every 1s" not in page.text


def test_store_staff_cannot_follow_a_runs_progress(client, hq_client, store_a):
    post_upload(hq_client)
    run = ImportRun.objects.get()
    client.force_login(StoreManagerFactory(store=store_a, is_staff=True))

    assert client.get(progress_url(run)).status_code == 403


def test_an_unknown_runs_progress_is_a_404(hq_client):
    assert hq_client.get(reverse("admin:members_importrun_progress", args=[999])).status_code == 404
    assert hq_client.get("/admin/members/importrun/x/progress/").status_code == 404


def queued_run(content: str, *, kind=ImportKind.MEMBERS) -> ImportRun:
    run = ImportRun(kind=kind, file_name="m.csv", file_size=len(content.encode()))
    run.file.save("m.csv", ContentFile(content.encode()), save=False)
    run.save()
    return run


def test_a_job_delivered_again_after_its_worker_died_starts_over_without_duplicates(store_a):
    # the rows a first delivery committed before its worker died ...
    import_run_execute(run_id=queued_run(MEMBERS).pk)
    # ... and that delivery's run, left RUNNING with its file still kept
    again = queued_run(MEMBERS)
    ImportRun.objects.filter(pk=again.pk).update(status=ImportStatus.RUNNING)

    import_run_execute(run_id=again.pk)

    again.refresh_from_db()
    assert again.status == ImportStatus.FINISHED
    assert (again.rows_read, again.rows_created, again.rows_rejected) == (2, 0, 1)
    assert Member.objects.count() == 1


def test_a_finished_job_delivered_again_changes_nothing(store_a):
    run = queued_run(MEMBERS)
    import_run_task.delay(run.pk)
    finished = ImportRun.objects.get(pk=run.pk)

    import_run_task.delay(run.pk)

    run.refresh_from_db()
    assert (run.status, run.rows_created, run.finished_at) == (
        ImportStatus.FINISHED,
        1,
        finished.finished_at,
    )


def test_a_file_the_job_cannot_read_fails_the_run_with_the_reason(store_a):
    run = queued_run("code,name\nS1,一店\n")

    import_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "表头不正确" in run.failure
    assert run.file.name == ""


def test_a_lost_file_fails_the_run_with_a_chinese_reason_not_a_crash(store_a, media_root):
    run = queued_run(MEMBERS)
    (media_root / run.file.name).unlink()

    import_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "重新上传" in run.failure


def test_a_finished_run_cannot_be_started_again():
    run = ImportRun.objects.create(
        kind=ImportKind.ORDERS, file_name="o.csv", status=ImportStatus.FINISHED
    )

    with pytest.raises(IllegalTransition):
        import_run_move(run, ImportStatus.RUNNING)
    assert import_run_move(run, ImportStatus.FINISHED) is False


def test_the_import_task_may_run_longer_than_others_but_within_the_visibility_timeout(settings):
    assert import_run_task.time_limit == IMPORT_TIME_LIMIT
    assert import_run_task.soft_time_limit < import_run_task.time_limit
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > IMPORT_TIME_LIMIT
