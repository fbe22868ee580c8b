"""The HQ admin upload as a background job.

The request checks that the file can be read at all (encoding, header: a bad file is a 400 on the
form and nothing is kept), keeps it with a QUEUED ImportRun and enqueues the job after commit; the
run's page follows it. The file waits in the default storage (`ImportRun.file`) rather than in the
database: an order file of a million rows is ~70 MB, which would be one bytea value copied through
the web process, the database and its backups, while a storage (the disk, or S3 in a cluster) is
streamed from, and deleted as soon as the job ends (it holds phone numbers).

The job runs the same importer as the commands, chunk by chunk, each chunk its own transaction
(counts and bytes read saved with it). A job delivered again after its worker died starts over:
the import is idempotent, so the rows already written come out unchanged. Without a broker
(the demo, CELERY_TASK_ALWAYS_EAGER) the job runs in the request, after its commit.
"""

import logging

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from members.models import ImportRun, ImportStatus, User

from . import IMPORTERS
from .base import ImportJob, record_failure
from .reading import ImportFileError, open_records
from .report import ErrorReport, shown
from .status import import_run_move

logger = logging.getLogger(__name__)


@transaction.atomic
def import_upload_create(*, kind: str, upload: UploadedFile, actor: User) -> ImportRun:
    """Keep an uploaded file for a background import. Raises ImportFileError, keeping nothing,
    when the file cannot be read at all."""
    _check_readable(kind, upload)
    run = ImportRun(
        kind=kind,
        status=ImportStatus.QUEUED,
        file_name=shown(upload.name)[-255:],
        file_size=upload.size or 0,
        created_by=actor if actor.is_authenticated else None,
    )
    run.file.save(upload.name, upload, save=False)
    run.save()
    from members.tasks import import_run_task  # the task module imports this one

    import_run_task.delay_on_commit(run.pk)
    return run


def _check_readable(kind: str, upload: UploadedFile) -> None:
    records = open_records(upload.file, IMPORTERS[kind].columns)
    records.close()
    upload.file.seek(0)


def import_run_execute(*, run_id: int) -> ImportRun | None:
    """Run a queued import to its end (FINISHED or FAILED); a finished one is left alone."""
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None or not run.in_progress:
        return run  # a duplicate delivery of a job already done
    import_run_move(run, ImportStatus.RUNNING)  # already RUNNING: delivered again, start over
    stored = run.file.name
    importer = IMPORTERS[run.kind]()
    job = ImportJob(importer, run, ErrorReport(None), importer.chunk_size)
    try:
        with run.file.open("rb") as stream:
            records = open_records(stream, importer.columns)
            job.process(records, progress=lambda counts: _save_position(run, stream))
    except ImportFileError as exc:
        record_failure(job, str(exc), file="")
    except Exception:
        logger.exception("import run %s failed", run.pk)
        record_failure(
            job,
            _("导入因系统错误中断；已导入的行保留，重新上传该文件不会重复导入。"),
            file="",
        )
    else:
        job.finish(bytes_read=run.file_size, file="")
    if stored:
        ImportRun._meta.get_field("file").storage.delete(stored)
    return run


def _save_position(run: ImportRun, stream) -> None:
    ImportRun.objects.filter(pk=run.pk).update(bytes_read=stream.tell())
