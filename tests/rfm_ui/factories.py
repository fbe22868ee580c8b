"""A history builder for the migration matrix tests.

`build_history` turns "each member's group at each run date" into what the regroup job writes:
one finished RfmRun per date, an RfmGroupChange whenever a member's group differs from the one
before (from_group "" when first grouped), and RfmGroupCount per run, store and group.
"""

from collections import Counter
from datetime import date

from members.models import RfmGroupCount, RfmRun
from tests.members.factories import RfmGroupChangeFactory, RfmRunFactory


def build_history(timeline: dict, dates: list[date]) -> list[RfmRun]:
    """`timeline` maps a member to their group at each of `dates` (None: not grouped yet)."""
    runs = [RfmRunFactory(business_date=day) for day in dates]
    for member, groups in timeline.items():
        previous = ""
        for day, group in zip(dates, groups, strict=True):
            if group is not None and group != previous:
                RfmGroupChangeFactory(
                    member=member, business_date=day, from_group=previous, to_group=group
                )
            previous = group or previous
    for index, run in enumerate(runs):
        counts = Counter(
            (member.home_store_id, groups[index])
            for member, groups in timeline.items()
            if groups[index] is not None
        )
        RfmGroupCount.objects.bulk_create(
            RfmGroupCount(run=run, store_id=store_id, group=group, members=n)
            for (store_id, group), n in counts.items()
        )
    return runs
