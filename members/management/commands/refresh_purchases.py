import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jobs.dates import business_date_arg
from members.errors import RuleViolation
from members.purchases import purchase_summary_refresh


class Command(BaseCommand):
    help = (
        "生成会员购买汇总（同步执行），供“最近 N 天购买过”类分组条件使用。默认统计日期为昨天"
        "（上海时间）；同一日期重跑不改变结果。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="统计日期 YYYY-MM-DD，默认昨天。")
        parser.add_argument(
            "--full", action="store_true", help="重算全部会员（默认只重算有变动的会员）。"
        )
        parser.add_argument("--chunk-size", type=int, help="每个分片的会员 ID 数，默认 50000。")

    def handle(self, *args, date, full, chunk_size, **options):
        business_date = business_date_arg(date)
        if chunk_size is not None and chunk_size < 1:
            raise CommandError(_("分片大小必须为正整数。"))
        started = time.monotonic()
        try:
            run = purchase_summary_refresh(
                business_date=business_date, full=full, chunk_size=chunk_size
            )
        except RuleViolation as refusal:
            raise CommandError(str(refusal.message)) from refusal
        self.stdout.write(
            _("购买汇总完成：统计日期 %(date)s，%(kind)s，写入 %(rows)s 行，用时 %(s).1f 秒。")
            % {
                "date": run.business_date,
                "kind": _("全量")
                if run.full
                else _("增量（基于 %(previous)s）") % {"previous": run.previous.business_date},
                "rows": f"{run.rows:,}",
                "s": time.monotonic() - started,
            }
        )
