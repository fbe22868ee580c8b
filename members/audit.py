"""The audit trail (INV-AUDIT), written through django-auditlog in the caller's transaction.

Ownership changes, coupon state changes, callback outcomes, phone reveals and exports each call
`audit_record`. Log rows never hold an unmasked phone: pass phones through `mask_phone` first.
"""

from auditlog.models import LogEntry

from .phones import mask_phone

__all__ = ["audit_record", "mask_phone", "LogEntry"]


def audit_record(*, actor, obj, event: str, changes: dict | None = None, **data) -> LogEntry:
    """Append one audit row about `obj`: an update when `changes` is given, an access otherwise."""
    action = LogEntry.Action.UPDATE if changes else LogEntry.Action.ACCESS
    return LogEntry.objects.log_create(
        obj,
        force_log=True,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        changes=changes or {},
        additional_data={"event": event, **data},
    )
