"""Export of a segment's members as CSV, by the rules of every member export (`members.exports`:
own permission, masked by default, formula-escaped, one ExportLog and one audit row before the
first byte, streamed from a server-side cursor), scoped through visible_to. The logged row count
is the count taken in the export's transaction.
"""

import datetime
from collections.abc import Iterator

from django.db import transaction

from ..exports import csv_lines, export_check, export_log
from ..models import ExportLog, Segment, User
from .selectors import segment_members

EXPORT_KIND = "segment_members"


@transaction.atomic
def segment_members_export(
    *, segment: Segment, today: datetime.date, masked: bool = True, actor: User
) -> tuple[ExportLog, Iterator[str]]:
    """The log row and the CSV lines of the segment's members the actor may see."""
    export_check(actor, masked=masked)
    members = segment_members(segment, user=actor, today=today)
    count = members.count()
    filters = {"segment": segment.pk, "name": segment.name, "as_of": today.isoformat()}
    log = export_log(
        actor=actor, kind=EXPORT_KIND, filters=filters, rows=count, masked=masked, subject=segment
    )
    return log, csv_lines(members, masked=masked, full_birthday=actor.is_hq)
