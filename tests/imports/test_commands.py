"""The four commands: summary in Chinese, exit codes, the report beside the input."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from members.models import ImportKind, ImportRun, Member, Store

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_command_prints_counts_and_where_the_report_is(csv_file, store_a, capsys):
    path = csv_file(
        ImportKind.MEMBERS,
        "13812345678,张三,F,,2013-12-08,A001,,",
        "1.38E+10,李四,F,,2013-12-08,A001,,",
    )

    call_command("import_members", str(path))

    out = capsys.readouterr().out
    assert "读取 2 行，新增 1，更新 0，未变化 0，拒绝 1" in out
    assert f"{path}.errors.csv" in out
    assert Member.objects.count() == 1


def test_the_command_records_the_user_given(csv_file, store_a, hq_admin):
    call_command(
        "import_stores", str(csv_file(ImportKind.STORES, "S9,九店,,华北,")), user=hq_admin.username
    )

    assert ImportRun.objects.get().created_by == hq_admin
    assert Store.objects.filter(code="S9").exists()


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="无法打开文件"):
        call_command("import_orders", str(tmp_path / "nope.csv"))


def test_a_wrong_header_is_a_command_error_and_nothing_is_recorded(csv_file):
    path = csv_file(ImportKind.ORDER_LINES, "1,2,3", header="a,b,c")

    with pytest.raises(CommandError, match="表头不正确"):
        call_command("import_order_lines", str(path))
    assert not ImportRun.objects.exists()


def test_bad_rows_alone_do_not_fail_the_command(csv_file, store_a):
    call_command("import_orders", str(csv_file(ImportKind.ORDERS, "NO1,,A001,,,bad,1")))

    assert ImportRun.objects.get().rows_rejected == 1


@pytest.mark.parametrize("content", [b"code,name\n", None], ids=["wrong header", "missing"])
def test_exit_code_is_non_zero_when_the_file_cannot_be_read(tmp_path, content):
    path = tmp_path / "stores.csv"
    if content is not None:
        path.write_bytes(content)

    done = subprocess.run(
        [sys.executable, "manage.py", "import_stores", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )

    assert done.returncode == 1
    assert "CommandError: 无法" in done.stderr
