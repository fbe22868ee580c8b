"""What the four import commands share: arguments, the summary they print, their exit code.

A command fails (CommandError, non-zero exit) only when the file cannot be read at all; bad rows
are reported in `<input>.errors.csv` and the summary, and the good rows are imported.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from members.models import ImportKind, User

from . import ImportFileError, import_file, report_path_for
from .report import STORED_ERRORS_CAP


class ImportCommand(BaseCommand):
    kind: str

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV 文件（UTF-8 或 GB18030）")
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=None,
            help="每个事务处理的行数（默认：订单在 PostgreSQL 上 50000，其余 5000）",
        )
        parser.add_argument("--user", help="记为导入操作人的用户名（可选）")

    def handle(self, *args, file: Path, chunk_size: int | None, user: str | None, **options):
        actor = self._actor(user)
        if chunk_size is not None and chunk_size < 1:
            raise CommandError(_("--chunk-size 必须是正整数。"))
        try:
            stream = file.open("rb")
        except OSError as exc:
            raise CommandError(
                _("无法打开文件 %(file)s：%(error)s") % {"file": file, "error": exc.strerror}
            ) from exc
        with stream:
            try:
                result = import_file(
                    self.kind,
                    stream,
                    file_name=file.name,
                    actor=actor,
                    report_path=report_path_for(file),
                    chunk_size=chunk_size,
                    progress=self._progress if options["verbosity"] > 1 else None,
                )
            except ImportFileError as exc:
                raise CommandError(
                    _("无法导入 %(file)s：%(error)s") % {"file": file, "error": exc}
                ) from exc
        self._summary(result)

    def _actor(self, username: str | None) -> User | None:
        if not username:
            return None
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(_("用户 %(user)s 不存在。") % {"user": username}) from None

    def _progress(self, counts) -> None:
        self.stdout.write(_("已处理 %(read)s 行……") % {"read": counts.read})

    def _summary(self, result) -> None:
        counts = result.counts
        self.stdout.write(
            _(
                "%(kind)s导入完成：读取 %(read)s 行，新增 %(created)s，更新 %(updated)s，"
                "未变化 %(unchanged)s，拒绝 %(rejected)s。"
            )
            % {
                "kind": ImportKind(self.kind).label,
                "read": counts.read,
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "rejected": counts.rejected,
            }
        )
        if result.report_path:
            self.stdout.write(_("错误行报告：%(path)s") % {"path": result.report_path})
        elif counts.rejected:
            message = _(
                "无法在输入文件旁写入错误行报告；前 %(cap)s 条错误行可在后台导入记录中查看。"
            )
            self.stderr.write(message % {"cap": STORED_ERRORS_CAP})
        self.stdout.write(_("导入记录编号：%(id)s") % {"id": result.run.pk})
