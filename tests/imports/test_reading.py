"""Whole files: encodings, header checks, blank and malformed lines, Excel row numbers."""

import pytest

from members.imports import ImportFileError
from members.models import ImportKind, ImportRun, Member
from tests.imports.helpers import errors, reasons, run_import

pytestmark = pytest.mark.django_db

MEMBER_ROW = "13812345678,张三,女,1990-10-15,2013-12-08,A001,,in_store"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_utf8_with_or_without_bom_and_gb18030_files_read_the_same(csv_file, store_a, encoding):
    path = csv_file(ImportKind.MEMBERS, MEMBER_ROW, encoding=encoding)

    result = run_import(ImportKind.MEMBERS, path)

    assert result.counts.created == 1
    assert Member.objects.get().name == "张三"


def test_gb18030_file_with_rare_characters_keeps_them(csv_file, store_a):
    path = csv_file(
        ImportKind.MEMBERS, "13812345678,𠮷野䶮,F,,2013-12-08,A001,,", encoding="gb18030"
    )

    run_import(ImportKind.MEMBERS, path)

    assert Member.objects.get().name == "𠮷野䶮"


def test_a_file_in_neither_encoding_is_refused_before_anything_is_written(tmp_path, store_a):
    path = tmp_path / "members.csv"
    path.write_bytes(b"phone,name\n\xff\xfe\xfa\x80\x81\xff\n")

    with pytest.raises(ImportFileError, match="无法识别文件编码"):
        run_import(ImportKind.MEMBERS, path)
    assert not ImportRun.objects.exists()


def test_an_excel_workbook_is_refused_with_a_hint_to_save_as_csv(tmp_path, store_a):
    path = tmp_path / "members.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)

    with pytest.raises(ImportFileError, match="另存为"):
        run_import(ImportKind.MEMBERS, path)


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(b"")

    with pytest.raises(ImportFileError, match="文件是空的"):
        run_import(ImportKind.MEMBERS, path)


def test_a_missing_column_is_named_in_a_file_level_error(csv_file):
    path = csv_file(
        ImportKind.MEMBERS, header="phone,name,gender,birthday,store_code,guide_code,source"
    )

    with pytest.raises(ImportFileError, match="缺少列 joined_at"):
        run_import(ImportKind.MEMBERS, path)


def test_an_unknown_column_is_named_in_a_file_level_error(csv_file):
    path = csv_file(ImportKind.ORDER_LINES, header="order_no,store_code,sku,quantity,amount,remark")

    with pytest.raises(ImportFileError, match="无法识别的列 remark"):
        run_import(ImportKind.ORDER_LINES, path)


def test_header_matching_ignores_order_case_and_surrounding_spaces(csv_file, store_a):
    path = csv_file(
        ImportKind.MEMBERS,
        "2013-12-08,13812345678,张三,,,A001,,",
        header=" Joined_At ,PHONE,name,gender,birthday,store_code,guide_code,source,,",
    )

    result = run_import(ImportKind.MEMBERS, path)

    assert result.counts.created == 1


def test_a_header_only_file_imports_nothing_and_records_the_run(csv_file):
    result = run_import(ImportKind.STORES, csv_file(ImportKind.STORES))

    assert (result.counts.read, result.run.rows_read) == (0, 0)


def test_blank_lines_are_skipped_and_row_numbers_stay_those_excel_shows(csv_file, store_a):
    path = csv_file(
        ImportKind.MEMBERS, MEMBER_ROW, ",,,,,,,", "", "1.38E+10,李四,,,2013-12-08,A001,,"
    )

    result = run_import(ImportKind.MEMBERS, path)

    assert result.counts.read == 2
    assert errors(result) == [(5, "phone")]


def test_a_quoted_value_with_a_line_break_is_one_excel_row(csv_file, store_a):
    path = csv_file(
        ImportKind.MEMBERS,
        '13812345678,"张\n三",,,2013-12-08,A001,,',
        "13812345679,李四,X,,2013-12-08,A001,,",
    )

    result = run_import(ImportKind.MEMBERS, path)

    assert errors(result) == [(3, "gender")]


def test_a_row_with_too_many_cells_is_a_bad_row_not_a_shifted_import(csv_file, store_a):
    path = csv_file(
        ImportKind.MEMBERS,
        "13812345678,张,三,,,2013-12-08,A001,,",
        MEMBER_ROW.replace("5678", "5679"),
    )

    result = run_import(ImportKind.MEMBERS, path)

    assert errors(result) == [(2, "")]
    assert "表头有 8 列" in reasons(result)
    assert result.counts.created == 1


def test_cells_are_trimmed(csv_file, store_a):
    path = csv_file(ImportKind.MEMBERS, " 138 1234 5678 , 张三 , F ,, 2013-12-08 , A001 ,, ")

    run_import(ImportKind.MEMBERS, path)

    member = Member.objects.get()
    assert (member.phone, member.name, member.gender) == ("13812345678", "张三", "F")


def test_a_runaway_quote_is_a_bad_row_not_a_crash(csv_file, store_a):
    path = csv_file(ImportKind.MEMBERS, MEMBER_ROW, '13812345679,"张三,,,2013-12-08,A001,,')

    result = run_import(ImportKind.MEMBERS, path)

    assert result.counts.created == 1
    assert result.counts.rejected == 1


def test_a_nul_character_is_a_bad_row_not_a_database_error(csv_file, store_a):
    path = csv_file(ImportKind.MEMBERS, MEMBER_ROW, "13812345679,张\x00三,F,,2013-12-08,A001,,")

    result = run_import(ImportKind.MEMBERS, path)

    assert errors(result) == [(3, "name")]
    assert result.counts.created == 1
