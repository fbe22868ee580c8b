"""Stores: `code,name,operating_model,region,store_group`, keyed by code.

Regions and store groups are named; a missing one is created. An empty operating_model means
franchise (加盟, most stores) for a new store and leaves an existing store's as it is; an empty
store_group likewise never removes a store from its group.
"""

from dataclasses import dataclass

from django.utils import timezone

from members.models import ImportKind, OperatingModel, Region, Store, StoreGroup

from .base import Importer, Plan
from .cells import Cells, text_choices_parser, text_parser
from .lookups import by_key

parse_operating_model = text_choices_parser(OperatingModel)


@dataclass(slots=True)
class StoreRow:
    row: int
    code: str | None
    name: str | None
    operating_model: str | None
    region: str | None
    store_group: str | None


class StoreImporter(Importer):
    kind = ImportKind.STORES
    model = Store
    columns = ("code", "name", "operating_model", "region", "store_group")
    key_column = "code"
    update_fields = ("name", "operating_model", "region", "store_group", "updated_at")

    def parse(self, cells: Cells) -> StoreRow:
        return StoreRow(
            row=cells.row,
            code=cells.get("code", text_parser(32), required=True),
            name=cells.get("name", text_parser(100), required=True),
            operating_model=cells.get("operating_model", parse_operating_model),
            region=cells.get("region", text_parser(50), required=True),
            store_group=cells.get("store_group", text_parser(50)),
        )

    def key(self, row: StoreRow):
        return (row.code,) if row.code else None

    def plan(self, rows: list[StoreRow]) -> Plan:
        """Runs inside the chunk's transaction, so the regions and groups it creates roll back
        with the chunk."""
        plan = Plan()
        regions = _named(Region, {r.region for r in rows})
        groups = _named(StoreGroup, {r.store_group for r in rows if r.store_group})
        existing = by_key(Store.objects.filter(code__in=[r.code for r in rows]), "code")
        now = timezone.now()
        for row in rows:
            group = groups.get(row.store_group)
            store = existing.get(row.code)
            if store is None:
                plan.create.append(
                    Store(
                        code=row.code,
                        name=row.name,
                        operating_model=row.operating_model or OperatingModel.FRANCHISE,
                        region=regions[row.region],
                        store_group=group,
                    )
                )
                continue
            wanted = {
                "name": row.name,
                "operating_model": row.operating_model or store.operating_model,
                "region_id": regions[row.region].pk,
                "store_group_id": group.pk if group else store.store_group_id,
            }
            changed = [field for field, value in wanted.items() if getattr(store, field) != value]
            for field in changed:
                setattr(store, field, wanted[field])
            if changed:
                store.updated_at = now
                plan.update.append(store)
        return plan


def _named(model, names: set[str]) -> dict:
    """The rows of a name-keyed model (Region, StoreGroup), creating the missing ones."""
    found = by_key(model.objects.filter(name__in=names), "name")
    missing = names - found.keys()
    if missing:
        model.objects.bulk_create([model(name=name) for name in missing], ignore_conflicts=True)
        found |= by_key(model.objects.filter(name__in=missing), "name")
    return found
