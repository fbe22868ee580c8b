"""Celery adapters for the members app: ids and dates in, one service call each."""

import datetime

from celery import shared_task
from django.utils import timezone

# --- Segments and rule tags (分组, 规则标签) ---------------------------------------------------

# The nightly segment job reads MemberRfm, so it waits for that night's regroup: when the RFM run
# of the business date has not finished yet it retries every 15 minutes, at most 16 times (four
# hours), then gives up and is logged as failed (yesterday's segments stay as they were).
# Imports sit inside the tasks so this block merges beside the RFM tasks without touching theirs.
SEGMENTS_RETRY_SECONDS = 15 * 60
SEGMENTS_MAX_RETRIES = 16


@shared_task(
    name="members.segments_materialise_nightly",
    bind=True,
    max_retries=SEGMENTS_MAX_RETRIES,
    default_retry_delay=SEGMENTS_RETRY_SECONDS,
)
def segments_materialise_nightly(self):
    """For D = yesterday (local): every active segment and every rule tag, one task each."""
    from .models import RfmRun, Segment, Tag

    business_date = timezone.localdate() - datetime.timedelta(days=1)
    regrouped = RfmRun.objects.filter(business_date=business_date, finished_at__isnull=False)
    if not regrouped.exists():
        raise self.retry(countdown=SEGMENTS_RETRY_SECONDS)
    day = business_date.isoformat()
    for segment_id in Segment.objects.filter(active=True).values_list("pk", flat=True):
        segment_materialise_task.delay(segment_id, day)
    for tag_id in Tag.objects.filter(rule_segment__isnull=False).values_list("pk", flat=True):
        rule_tag_recompute_task.delay(tag_id, day)
    return day


@shared_task(name="members.segment_materialise")
def segment_materialise_task(segment_id: int, business_date: str, on_demand: bool = False):
    from .models import Segment
    from .segments.materialise import segment_materialise

    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        return None
    day = datetime.date.fromisoformat(business_date)
    run = segment_materialise(segment=segment, business_date=day, on_demand=on_demand)
    return run.pk if run else None


@shared_task(name="members.rule_tag_recompute")
def rule_tag_recompute_task(tag_id: int, business_date: str):
    from .models import Tag
    from .segments.materialise import tag_rule_recompute

    tag = Tag.objects.filter(pk=tag_id).select_related("rule_segment").first()
    if tag is None:
        return None
    run = tag_rule_recompute(tag=tag, business_date=datetime.date.fromisoformat(business_date))
    return run.pk if run else None


# --- end of segments and rule tags ---------------------------------------------------------------
