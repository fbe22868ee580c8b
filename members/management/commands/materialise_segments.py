"""python manage.py materialise_segments [--date YYYY-MM-DD] [--segment ID]

Materialises segments (and, without --segment, recomputes rule tags) for a business date,
yesterday by default, in-process. Safe to re-run: a finished date is skipped.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.models import Segment, Tag
from members.segments.materialise import segment_materialise, tag_rule_recompute


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, got {text!r}") from None


class Command(BaseCommand):
    help = "Materialise segments and recompute rule tags for a business date (default yesterday)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_date, help="business date, default yesterday (local)")
        parser.add_argument("--segment", type=int, help="only this segment's id")

    def handle(self, *args, date=None, segment=None, **options):
        business_date = date or timezone.localdate() - datetime.timedelta(days=1)
        segments = Segment.objects.filter(active=True)
        if segment is not None:
            segments = Segment.objects.filter(pk=segment)
            if not segments.exists():
                raise CommandError(f"no segment with id {segment}")
        for one in segments.select_related("base", "store"):
            run = segment_materialise(segment=one, business_date=business_date)
            one.refresh_from_db()
            state = "done" if run else "already done"
            self.stdout.write(f"{one.pk} {one.name}: {one.member_count} members ({state})")
        if segment is None:
            for tag in Tag.objects.filter(rule_segment__isnull=False).select_related(
                "rule_segment"
            ):
                tag_rule_recompute(tag=tag, business_date=business_date)
                self.stdout.write(f"tag {tag.name}: recomputed")
