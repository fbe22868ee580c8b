"""python manage.py materialise_segments [--date YYYY-MM-DD] [--segment ID]

Materialises segments (and, without --segment, recomputes rule tags) for a business date,
yesterday by default, in-process. Safe to re-run: a finished date is skipped.
"""

from django.core.management.base import BaseCommand, CommandError

from jobs.dates import business_date_arg
from members.models import Segment, Tag
from members.segments.materialise import segment_materialise, tag_rule_recompute


class Command(BaseCommand):
    help = "Materialise segments and recompute rule tags for a business date (default yesterday)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="business date YYYY-MM-DD, default yesterday (local)")
        parser.add_argument("--segment", type=int, help="only this segment's id")

    def handle(self, *args, date=None, segment=None, **options):
        business_date = business_date_arg(date)
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
            for tag in Tag.objects.by_rule().select_related("rule_segment"):
                tag_rule_recompute(tag=tag, business_date=business_date)
                self.stdout.write(f"tag {tag.name}: recomputed")
