"""The outbox sender (INV-NO-DUP-MESSAGE).

`outbox_send_due` delivers pending messages that are due, one message per short transaction:
the message's row is locked (SELECT ... FOR UPDATE SKIP LOCKED on Postgres, so concurrent
senders take different messages), the member's opt-out is re-read, the gateway is called and
the outcome is written, all before the lock is released. A message marked sent is never picked
again; a crash before the commit leaves it pending, and the HTTP gateway's stable message id
lets the provider drop that one retry. Marketing messages wait for daytime
(settings.MARKETING_SEND_HOURS); a failed attempt is retried by later runs, up to
settings.OUTBOX_MAX_ATTEMPTS attempts in all, then the message is marked failed.
"""

import datetime
import logging
import time
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .gateways import Gateway, gateway_for
from .models import TRANSITIONS, OutboxMessage, OutboxStatus, SkipReason

logger = logging.getLogger(__name__)

SENT, SKIPPED, RETRY, FAILED = "sent", "skipped", "retry", "failed"
ERROR_KEPT = 500


def outbox_transition_check(current: str, to: str) -> bool:
    """True when `to` is a move to make, False when already there; an illegal move raises."""
    return TRANSITIONS.check(current, to)


def marketing_hours(now: datetime.datetime) -> bool:
    start, end = settings.MARKETING_SEND_HOURS
    return start <= timezone.localtime(now).hour < end


def outbox_sendable(now: datetime.datetime):
    """Pending messages due by today (local); marketing ones only in the daytime."""
    due = OutboxMessage.objects.due(on=timezone.localdate(now))
    return due if marketing_hours(now) else due.filter(marketing=False)


def outbox_send_due(*, limit: int = 500, now: datetime.datetime | None = None) -> dict:
    """Deliver up to `limit` due messages; returns how many were sent, skipped, left for a retry
    and failed for good. Stops early after settings.OUTBOX_SEND_SECONDS."""
    now = now or timezone.now()
    started, after = time.monotonic(), 0
    gateways: dict[str, Gateway] = {}
    outcomes: Counter = Counter()
    for _attempt in range(limit):
        if time.monotonic() - started > settings.OUTBOX_SEND_SECONDS:
            break
        outcome, after = _send_next(now=now, after=after, gateways=gateways)
        if outcome is None:
            break
        outcomes[outcome] += 1
    return {key: outcomes[key] for key in (SENT, SKIPPED, RETRY, FAILED)}


@transaction.atomic
def _send_next(*, now, after: int, gateways: dict) -> tuple[str | None, int]:
    """Lock the next sendable message after id `after` and deliver it, in one transaction."""
    message = (
        outbox_sendable(now)
        .filter(pk__gt=after)
        .select_related("member", "staff")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
        .first()
    )
    if message is None:
        return None, after
    return _deliver(message, now=now, gateways=gateways), message.pk


def _deliver(message: OutboxMessage, *, now, gateways: dict) -> str:
    if message.marketing and message.member_id and message.member.marketing_opt_out:
        _move(message, OutboxStatus.SKIPPED, skip_reason=SkipReason.OPTED_OUT)
        return SKIPPED
    # Built outside the `try`: a misconfigured gateway fails the run, not the message's attempts.
    if message.channel not in gateways:
        gateways[message.channel] = gateway_for(message.channel)
    try:
        gateways[message.channel].send(message)
    except Exception as error:  # a gateway's failure, whatever it is, must not block the queue
        logger.warning("Outbox message %s not sent: %s", message.pk, error)
        return _attempt_failed(message, error)
    _move(message, OutboxStatus.SENT, sent_at=now, attempts=message.attempts + 1, last_error="")
    return SENT


def _attempt_failed(message: OutboxMessage, error: Exception) -> str:
    attempts = message.attempts + 1
    text = str(error) if str(error) else type(error).__name__
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _move(message, OutboxStatus.FAILED, attempts=attempts, last_error=text[:ERROR_KEPT])
        return FAILED
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
        attempts=attempts, last_error=text[:ERROR_KEPT], updated_at=timezone.now()
    )
    return RETRY


def _move(message: OutboxMessage, to: str, **fields) -> None:
    """The one place a message's status changes, along TRANSITIONS (the caller holds its lock)."""
    if not outbox_transition_check(message.status, to):
        return
    OutboxMessage.objects.filter(pk=message.pk, status=message.status).update(
        status=to, updated_at=timezone.now(), **fields
    )
    message.status = to
