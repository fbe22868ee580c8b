"""The one function that moves a single coupon's status, along `TRANSITIONS`, with its audit row.

Set-based moves (the nightly expiry) use `TRANSITIONS.sources_of` in a conditional UPDATE and write
their audit rows with `coupon_audit_bulk`.
"""

from django.db import transaction
from django.utils import timezone

from members.audit import LogEntry, audit_record

from ..models import TRANSITIONS, Coupon


def transition_check(current: str, to: str) -> bool:
    """True when `to` is a move to make, False when it is already the status (a no-op); an
    illegal move raises IllegalTransition."""
    return TRANSITIONS.check(current, to)


@transaction.atomic
def coupon_status_change(*, coupon: Coupon, to: str, actor=None, reason: str, **data) -> Coupon:
    """Move `coupon` to `to` (locking its row), writing one audit row; same status: no-op."""
    locked = Coupon.objects.select_for_update().get(pk=coupon.pk)
    if not transition_check(locked.status, to):
        return locked
    before = locked.status
    locked.status = to
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    audit_record(
        actor=actor,
        obj=locked,
        event=f"coupon_{reason}",
        changes={"status": [before, to]},
        **data,
    )
    return locked


def coupon_audit_bulk(*, coupon_ids, before: str, to: str, reason: str) -> int:
    """One audit row per coupon for a set-based move made by a job (no actor)."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Coupon)
    rows = [
        LogEntry(
            content_type=content_type,
            object_pk=str(coupon_id),
            object_id=coupon_id,
            object_repr=str(coupon_id),
            action=LogEntry.Action.UPDATE,
            changes={"status": [before, to]},
            additional_data={"event": f"coupon_{reason}"},
        )
        for coupon_id in coupon_ids
    ]
    LogEntry.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
