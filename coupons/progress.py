"""How far an issuing batch has got, for the admin and the store portal to show.

Issued over target is what the operator cares about; the chunks done over planned are how far
the job has got (a batch can end with fewer coupons than targets: limits, quota, budget).
"""

from .models import BatchStatus, IssueBatch
from .services.issuing_job import batch_job_run
from .services.issuing_rules import SKIP_REASONS


def batch_progress(batch: IssueBatch) -> dict:
    """One query at most: the batch's job run (the batch itself is passed in)."""
    run = batch_job_run(batch) if batch.status != BatchStatus.QUEUED else None
    chunk_done, chunk_total = (run.chunk_done, run.chunk_total) if run else (0, 0)
    finished = batch.status == BatchStatus.FINISHED
    percent = int(100 * chunk_done / chunk_total) if chunk_total else 0
    skipped = {reason: count for reason, count in batch.skipped.items() if count}
    return {
        "status": batch.status,
        "status_label": BatchStatus(batch.status).label,
        "finished": finished,
        "target_count": batch.target_count,
        "issued_count": batch.issued_count,
        "skipped": skipped,
        "skipped_total": sum(skipped.values()),
        "skipped_labelled": [
            (SKIP_REASONS.get(reason, reason), count) for reason, count in skipped.items()
        ],
        "rejected_count": len(batch.rejected),
        "chunk_done": chunk_done,
        "chunk_total": chunk_total,
        "percent": 100 if finished else percent,
        "error": batch.error,
    }
