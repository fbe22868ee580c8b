"""Member imports: bad rows, ownership never changed by a file, and re-imports."""

from datetime import date

import pytest

from members.models import ImportKind, Member, OwnershipChange, Source
from tests.imports.helpers import errors, reasons, run_import
from tests.members.factories import GuideFactory, MemberFactory

pytestmark = pytest.mark.django_db

MEMBERS = ImportKind.MEMBERS


def row(
    phone="13812345678",
    name="张三",
    gender="F",
    birthday="1990-10-15",
    joined_at="2013-12-08",
    store="A001",
    guide="",
    source="",
):
    return ",".join([phone, name, gender, birthday, joined_at, store, guide, source])


def test_good_rows_create_members_with_their_store_and_guide(csv_file, store_a, guide_a):
    path = csv_file(
        MEMBERS, row(guide=guide_a.guide_code, source="referral"), row("13912345678", gender="男")
    )

    result = run_import(MEMBERS, path)

    assert (result.counts.created, result.counts.rejected) == (2, 0)
    first = Member.objects.get(phone="13812345678")
    assert (first.home_store, first.guide, first.source) == (store_a, guide_a, Source.REFERRAL)
    assert first.birthday == date(1990, 10, 15) and first.joined_at == date(2013, 12, 8)
    assert Member.objects.get(phone="13912345678").gender == "M"


def test_an_empty_source_means_import(csv_file, store_a):
    run_import(MEMBERS, csv_file(MEMBERS, row(source="")))

    assert Member.objects.get().source == Source.IMPORT


def test_source_and_gender_accept_chinese_labels(csv_file, store_a):
    run_import(MEMBERS, csv_file(MEMBERS, row(gender="女", source="老带新")))

    member = Member.objects.get()
    assert (member.gender, member.source) == ("F", Source.REFERRAL)


def test_a_bad_phone_is_reported_with_excel_row_column_value_and_reason(csv_file, store_a):
    result = run_import(MEMBERS, csv_file(MEMBERS, row(), row("1381234567")))

    assert result.run.errors == [
        {
            "row": 3,
            "column": "phone",
            "value": "1381234567",
            "reason": "“1381234567”不是有效的中国大陆手机号（1[3-9] 开头的 11 位数字）。",
        }
    ]
    assert Member.objects.count() == 1


def test_excel_scientific_notation_phone_is_a_bad_row(csv_file, store_a):
    result = run_import(MEMBERS, csv_file(MEMBERS, row("1.38E+10")))

    assert errors(result) == [(2, "phone")]
    assert "科学计数法" in reasons(result)
    assert not Member.objects.exists()


@pytest.mark.parametrize("column", ["phone", "joined_at", "store_code"])
def test_a_missing_required_value_is_a_bad_row(csv_file, store_a, column):
    blank = {"phone": row(phone=""), "joined_at": row(joined_at=""), "store_code": row(store="")}

    result = run_import(MEMBERS, csv_file(MEMBERS, blank[column]))

    assert errors(result) == [(2, column)]
    assert "不能为空" in reasons(result)


@pytest.mark.parametrize("birthday", ["10/15/1990", "19901015", "1990.10.15", "1990-13-01"])
def test_a_bad_birthday_is_a_bad_row(csv_file, store_a, birthday):
    result = run_import(MEMBERS, csv_file(MEMBERS, row(birthday=birthday)))

    assert errors(result) == [(2, "birthday")]
    assert not Member.objects.exists()


@pytest.mark.parametrize("joined_at", ["2013-12-08", "2013/12/8", "2013年12月8日"])
def test_the_three_date_forms_import(csv_file, store_a, joined_at):
    run_import(MEMBERS, csv_file(MEMBERS, row(joined_at=joined_at)))

    assert Member.objects.get().joined_at == date(2013, 12, 8)


def test_every_bad_cell_of_a_row_is_reported_and_the_row_counts_once(csv_file, store_a):
    result = run_import(MEMBERS, csv_file(MEMBERS, row(gender="X", birthday="昨天", source="tv")))

    assert errors(result) == [(2, "gender"), (2, "birthday"), (2, "source")]
    assert result.counts.rejected == 1


def test_an_unknown_store_is_a_bad_row(csv_file, store_a):
    result = run_import(MEMBERS, csv_file(MEMBERS, row(store="NOPE")))

    assert errors(result) == [(2, "store_code")]
    assert "门店编码不存在" in reasons(result)


def test_a_guide_of_another_store_is_a_bad_row(csv_file, store_a, guide_b):
    result = run_import(MEMBERS, csv_file(MEMBERS, row(guide=guide_b.guide_code)))

    assert errors(result) == [(2, "guide_code")]
    assert "不属于门店 A001" in reasons(result)
    assert not Member.objects.exists()


def test_an_unknown_or_departed_guide_is_a_bad_row(csv_file, store_a):
    departed = GuideFactory(store=store_a, is_active=False)
    path = csv_file(MEMBERS, row(guide="G-NOPE"), row("13912345678", guide=departed.guide_code))

    result = run_import(MEMBERS, path)

    assert errors(result) == [(2, "guide_code"), (3, "guide_code")]


def test_a_member_of_another_store_is_reported_and_not_moved(csv_file, store_a, member_b):
    result = run_import(MEMBERS, csv_file(MEMBERS, row(phone=member_b.phone, name="改名")))

    assert errors(result) == [(2, "store_code")]
    assert "已是门店 B001 的会员" in reasons(result)
    member_b.refresh_from_db()
    assert (member_b.home_store.code, member_b.name) != ("A001", "改名")
    assert not OwnershipChange.objects.exists()


def test_a_different_guide_for_an_existing_member_is_rejected_with_a_rebind_hint(
    csv_file, store_a, guide_a, member_a
):
    other = GuideFactory(store=store_a)

    result = run_import(
        MEMBERS, csv_file(MEMBERS, row(phone=member_a.phone, guide=other.guide_code))
    )

    assert errors(result) == [(2, "guide_code")]
    assert guide_a.guide_code in reasons(result)
    assert "重新绑定" in reasons(result)
    member_a.refresh_from_db()
    assert member_a.guide == guide_a


def test_binding_an_unbound_member_by_file_is_rejected_too(csv_file, store_a, guide_a):
    member = MemberFactory(home_store=store_a, guide=None)

    result = run_import(
        MEMBERS, csv_file(MEMBERS, row(phone=member.phone, guide=guide_a.guide_code))
    )

    assert errors(result) == [(2, "guide_code")]
    member.refresh_from_db()
    assert member.guide is None


def test_an_existing_member_is_updated_and_an_empty_cell_erases_nothing(
    csv_file, store_a, guide_a, member_a
):
    path = csv_file(
        MEMBERS, row(phone=member_a.phone, name="新名字", gender="", birthday="", guide="")
    )

    result = run_import(MEMBERS, path)

    assert (result.counts.created, result.counts.updated) == (0, 1)
    member_a.refresh_from_db()
    assert member_a.name == "新名字"
    assert (member_a.gender, member_a.birthday, member_a.guide) == (
        "F",
        date(1990, 10, 15),
        guide_a,
    )


def test_a_phone_twice_in_one_file_rejects_the_second_occurrence(csv_file, store_a):
    path = csv_file(MEMBERS, row(), row("138-1234-5678", name="重复"))

    result = run_import(MEMBERS, path)

    assert errors(result) == [(3, "phone")]
    assert "与第 2 行重复" in reasons(result)
    assert Member.objects.get().name == "张三"


def test_duplicates_are_found_across_chunks(csv_file, store_a):
    path = csv_file(MEMBERS, row(), row("13912345678"), row("13712345678"), row())

    result = run_import(MEMBERS, path, chunk_size=2)

    assert errors(result) == [(5, "phone")]
    assert result.counts.created == 3


def test_reimporting_the_same_file_creates_nothing(csv_file, store_a, guide_a):
    path = csv_file(MEMBERS, row(guide=guide_a.guide_code), row("13912345678"), row("bad"))
    run_import(MEMBERS, path)

    again = run_import(MEMBERS, path)

    assert (again.counts.created, again.counts.updated, again.counts.rejected) == (0, 0, 1)
    assert again.counts.unchanged == 2
    assert Member.objects.count() == 2


def test_a_corrected_file_imports_the_fixed_rows_and_duplicates_nothing(
    csv_file, store_a, tmp_path
):
    run_import(MEMBERS, csv_file(MEMBERS, row(), row("13912345678", birthday="1990-02-30")))

    fixed = csv_file(MEMBERS, row(), row("13912345678", birthday="1990-02-28"), name="fixed.csv")
    result = run_import(MEMBERS, fixed)

    assert (result.counts.created, result.counts.rejected) == (1, 0)
    assert Member.objects.count() == 2
