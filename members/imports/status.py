"""The one function that moves an ImportRun along its transition table (IMPORT_TRANSITIONS)."""

from django.utils import timezone

from members.models import IMPORT_TRANSITIONS, ImportRun, ImportStatus


def import_run_move(run: ImportRun, to: str, **fields) -> bool:
    """Move `run` to `to` with `fields` in one conditional UPDATE; False when it already was
    there (or another worker moved it first). An illegal move raises IllegalTransition."""
    if not IMPORT_TRANSITIONS.check(run.status, to):
        return False
    now = timezone.now()
    stamp = "started_at" if to == ImportStatus.RUNNING else "finished_at"
    values = {"status": to, stamp: now, "updated_at": now, **fields}
    if not ImportRun.objects.filter(pk=run.pk, status=run.status).update(**values):
        return False
    for name, value in values.items():
        setattr(run, name, value)
    return True
