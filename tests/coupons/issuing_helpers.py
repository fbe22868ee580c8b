"""Shared givens for the issuing tests: segment rules, batches made directly, what was issued."""

from coupons.models import BatchSource, Coupon, IssueBatch
from coupons.services.issuing_job import batch_issue
from tests.segments.factories import SegmentFactory

REFERRED = {"op": "and", "items": [{"type": "source", "sources": ["referral"]}]}
EVERYONE = {"op": "and", "items": []}


def segment_batch(template, *, rule=EVERYONE, store=None, actor=None, **fields) -> IssueBatch:
    """A queued segment batch, made directly (batch_create's checks are tested on their own)."""
    segment = SegmentFactory(rule=rule, store=store)
    return IssueBatch.objects.create(
        template=template,
        source=BatchSource.SEGMENT,
        segment=segment,
        store=store,
        created_by=actor,
        **fields,
    )


def issue(batch: IssueBatch, **options) -> IssueBatch:
    return batch_issue(batch=batch, **options)


def holders(batch: IssueBatch) -> set[int]:
    return set(Coupon.objects.filter(batch=batch).values_list("member_id", flat=True))
