"""The bad-row report beside the input, and what the ImportRun keeps."""

import csv

import pytest

from members.imports import import_file, report_path_for
from members.imports.report import STORED_ERRORS_CAP, escape_formula
from members.models import ImportKind, ImportRun
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db

ORDERS = ImportKind.ORDERS


def read_report(path):
    raw = report_path_for(path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


@pytest.mark.parametrize(
    ("cell", "escaped"),
    [
        ("=1+2", "'=1+2"),
        ("+86", "'+86"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("302", "302"),
        ("张三", "张三"),
        (3, "3"),
    ],
)
def test_cells_excel_would_evaluate_are_defused(cell, escaped):
    assert escape_formula(cell) == escaped


def test_the_report_lists_row_column_value_reason_with_formulae_defused(csv_file, store_a):
    path = csv_file(
        ORDERS,
        "NO1,,A001,,,2024-01-05,302",
        "NO2,,A001,,,2024-01-05,-5",
        '"=HYPERLINK(""http://x"")",,ZZZ,,,2024-01-05,1',
    )

    run_import(ORDERS, path)

    assert read_report(path) == [
        ["行号", "列", "值", "原因"],
        ["3", "amount", "'-5", "金额不能为负数。"],
        ["4", "store_code", "ZZZ", "门店编码不存在，请先导入门店。"],
    ]


def test_no_report_is_written_when_every_row_is_good_and_a_stale_one_is_removed(csv_file, store_a):
    path = csv_file(ORDERS, "NO1,,A001,,,2024-01-05,-1")
    run_import(ORDERS, path)
    assert report_path_for(path).exists()

    path = csv_file(ORDERS, "NO1,,A001,,,2024-01-05,1")
    result = run_import(ORDERS, path)

    assert result.report_path is None
    assert not report_path_for(path).exists()


def test_the_import_run_counts_every_row_exactly(csv_file, store_a, hq_admin):
    path = csv_file(ORDERS, "NO1,,A001,,,2024-01-05,1", "NO2,,A001,,,2024-01-05,x", "NO3,,A001,,,,")
    run_import(ORDERS, path)

    result = run_import(
        ORDERS,
        csv_file(ORDERS, "NO1,,A001,,,2024-01-05,2", "NO4,,A001,,,2024-01-05,1", name="b.csv"),
        actor=hq_admin,
    )

    run = ImportRun.objects.get(pk=result.run.pk)
    assert (run.kind, run.file_name, run.created_by) == (ORDERS, "b.csv", hq_admin)
    assert (run.rows_read, run.rows_created, run.rows_updated, run.rows_rejected) == (2, 1, 1, 0)
    first = ImportRun.objects.exclude(pk=run.pk).get()
    assert (first.rows_read, first.rows_created, first.rows_rejected) == (3, 1, 2)
    assert [e["row"] for e in first.errors] == [3, 4, 4]


def test_stored_errors_are_capped_while_counts_stay_exact(csv_file, store_a):
    rows = [f"NO{i},,A001,,,2024-01-05,bad" for i in range(STORED_ERRORS_CAP + 5)]
    path = csv_file(ORDERS, *rows)

    result = run_import(ORDERS, path, chunk_size=400)

    assert result.run.rows_rejected == STORED_ERRORS_CAP + 5
    assert len(result.run.errors) == STORED_ERRORS_CAP
    assert len(read_report(path)) == STORED_ERRORS_CAP + 5 + 1


def test_the_stored_copy_masks_phones_the_report_beside_the_input_does_not(csv_file, store_a):
    path = csv_file(ORDERS, "NO1,13800001111,A001,,,2024-01-05,1")

    result = run_import(ORDERS, path)

    assert result.run.errors[0]["value"] == "138****1111"
    assert read_report(path)[1][2] == "13800001111"


def test_an_unwritable_report_location_does_not_stop_the_import(csv_file, store_a, tmp_path):
    path = csv_file(ORDERS, "NO1,,A001,,,2024-01-05,1", "NO2,,A001,,,2024-01-05,-1")

    with path.open("rb") as stream:
        result = import_file(
            ORDERS, stream, file_name="x.csv", report_path=tmp_path / "missing" / "x.errors.csv"
        )

    assert (result.counts.created, result.counts.rejected, result.report_path) == (1, 1, None)
    assert result.run.errors[0]["row"] == 3
