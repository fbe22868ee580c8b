"""Who a batch aims at, as one filter on Member: its segment's rule, its phone list, the joining
day (welcome pack) or the birthday month; a store's batch only ever reaches that store's members.

The filter is evaluated again by every chunk (and every re-run), so members who join a segment,
a joining day or a birthday month after the batch was created are picked up by the next run.
"""

import datetime

from django.db.models import Q

from members.models import Member
from members.phone_lists import phone_in_q, phones_of
from members.segments.selectors import segment_q

from ..models import BatchSource, IssueBatch


def targets_q(batch: IssueBatch, *, today: datetime.date) -> Q:
    """The members `batch` aims at; segment rules are evaluated as of `today`."""
    match batch.source:
        case BatchSource.SEGMENT:
            q = segment_q(batch.segment, today=today)
        case BatchSource.PHONES:
            q = phone_in_q(phones_of(batch.phones))
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
