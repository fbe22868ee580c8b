"""Who a batch aims at, as one filter on Member: its segment's rule, its phone list, the joining
day (welcome pack) or the birthday month; a store's batch only ever reaches that store's members.

The filter is evaluated again by every chunk (and every re-run), so members who join a segment,
a joining day or a birthday month after the batch was created are picked up by the next run.
"""

import datetime
import json

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from members.models import Member
from members.segments.selectors import segment_q

from ..models import BatchSource, IssueBatch


def phones_of(batch: IssueBatch) -> list[str]:
    return [line for line in batch.phones.splitlines() if line]


def phone_in_q(phones: list[str]) -> Q:
    """`phone IN (the list)` with the whole list as one parameter (a phone list may hold 50,000
    numbers; SQLite allows far fewer parameters per statement)."""
    if connection.vendor == "postgresql":
        return Q(phone__in=RawSQL("SELECT unnest(%s::varchar[])", [phones]))
    return Q(phone__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(phones)]))


def targets_q(batch: IssueBatch, *, today: datetime.date) -> Q:
    """The members `batch` aims at; segment rules are evaluated as of `today`."""
    match batch.source:
        case BatchSource.SEGMENT:
            q = segment_q(batch.segment, today=today)
        case BatchSource.PHONES:
            q = phone_in_q(phones_of(batch))
        case BatchSource.WELCOME:
            q = Q(joined_at=batch.target_on)
        case BatchSource.BIRTHDAY:
            q = Q(birthday__month=batch.target_on.month)
        case _:
            q = Q(pk__in=batch.coupons.values("member_id"))
    if batch.store_id is not None:
        q &= Q(home_store_id=batch.store_id)
    return q


def batch_targets(batch: IssueBatch, *, today: datetime.date):
    return Member.objects.filter(targets_q(batch, today=today))
