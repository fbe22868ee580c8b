"""Store imports: regions and store groups by name, created when missing."""

import pytest

from members.models import ImportKind, OperatingModel, Region, Store, StoreGroup
from tests.imports.helpers import errors, run_import

pytestmark = pytest.mark.django_db

STORES = ImportKind.STORES


def row(code="A001", name="甲店", model="加盟", region="华东", group=""):
    return ",".join([code, name, model, region, group])


def test_stores_are_created_with_new_regions_and_groups(csv_file):
    path = csv_file(
        STORES, row(group="上海店群"), row("A002", "乙店", "direct", "华东", "上海店群")
    )

    result = run_import(STORES, path)

    assert result.counts.created == 2
    assert list(Region.objects.values_list("name", flat=True)) == ["华东"]
    assert list(StoreGroup.objects.values_list("name", flat=True)) == ["上海店群"]
    assert dict(Store.objects.values_list("code", "operating_model")) == {
        "A001": OperatingModel.FRANCHISE,
        "A002": OperatingModel.DIRECT,
    }


@pytest.mark.parametrize(
    ("text", "model"),
    [("直营", "direct"), ("托管", "managed"), ("MANAGED", "managed"), ("", "franchise")],
)
def test_operating_model_accepts_codes_and_chinese(csv_file, text, model):
    run_import(STORES, csv_file(STORES, row(model=text)))

    assert Store.objects.get().operating_model == model


def test_an_unknown_operating_model_is_a_bad_row(csv_file):
    result = run_import(STORES, csv_file(STORES, row(model="合营")))

    assert errors(result) == [(2, "operating_model")]
    assert not Store.objects.exists()
    assert not Region.objects.exists()


def test_a_store_needs_a_region(csv_file):
    result = run_import(STORES, csv_file(STORES, row(region="")))

    assert errors(result) == [(2, "region")]


def test_a_reimport_updates_the_store_and_keeps_its_group_when_the_cell_is_empty(csv_file):
    run_import(STORES, csv_file(STORES, row(group="一组")))

    result = run_import(STORES, csv_file(STORES, row(name="甲店新", region="华南"), name="b.csv"))

    assert (result.counts.created, result.counts.updated) == (0, 1)
    store = Store.objects.get()
    assert (store.name, store.region.name, store.store_group.name) == ("甲店新", "华南", "一组")


def test_reimporting_the_same_file_creates_nothing(csv_file):
    path = csv_file(STORES, row(), row("A002"))
    run_import(STORES, path)

    again = run_import(STORES, path)

    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 2)
    assert Store.objects.count() == 2
