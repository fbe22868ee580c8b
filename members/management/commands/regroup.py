import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum
from django.utils.translation import gettext as _

from jobs.dates import business_date_arg
from members.errors import RuleViolation
from members.models import RfmGroup, RfmGroupCount, RfmRun
from members.rfm import rfm_regroup


class Command(BaseCommand):
    help = "按 RFM 重新分群（同步执行）。默认统计日期为昨天（上海时间）；同一日期重跑不改变结果。"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="统计日期 YYYY-MM-DD，默认昨天。")
        parser.add_argument("--chunk-size", type=int, help="每个分片的会员 ID 数，默认 100000。")
        parser.add_argument(
            "--anew",
            action="store_true",
            help="全量重算：每位会员都从订单重新计算（默认只重算上次分群后订单有变化的会员）。",
        )

    def handle(self, *args, as_of, chunk_size, anew, **options):
        business_date = business_date_arg(as_of)
        if chunk_size is not None and chunk_size < 1:
            raise CommandError(_("分片大小必须为正整数。"))
        started = time.monotonic()
        finished = RfmRun.objects.finished(business_date=business_date)
        if finished.exists():
            done = _("统计日期 %(date)s 已完成分群，本次未做改动。")
            self.stdout.write(done % {"date": business_date})
        try:
            run = rfm_regroup(business_date=business_date, chunk_size=chunk_size, anew=anew)
        except RuleViolation as refusal:
            raise CommandError(str(refusal.message)) from refusal
        self.stdout.write(run_summary(run, seconds=time.monotonic() - started))


def _measured_line(run: RfmRun) -> str:
    measured = run.members_measured
    if run.base_id is None:
        return _("全量计算：%(n)s 位有有效订单的会员从订单重新计算。") % {"n": f"{measured:,}"}
    return _("增量计算：以 %(base)s 的分群为基准，%(n)s 位订单有变化的会员从订单重新计算。") % {
        "base": run.base.business_date,
        "n": f"{measured:,}",
    }


def run_summary(run: RfmRun, *, seconds: float) -> str:
    """The run's thresholds and brand-wide group sizes, in Chinese."""

    def shown(value):
        return _("无") if value is None else f"{value.normalize():f}"

    lines = [
        _("RFM 分群完成：统计日期 %(date)s，统计周期 %(window)s 天，用时 %(s).1f 秒。")
        % {"date": run.business_date, "window": run.window_days, "s": seconds},
        _("阈值：R ≤ %(r)s 天（%(rm)s），F > %(f)s 次（%(fm)s），M > %(m)s 元（%(mm)s）。")
        % {
            "r": shown(run.r_threshold),
            "rm": run.get_r_method_display(),
            "f": shown(run.f_threshold),
            "fm": run.get_f_method_display(),
            "m": shown(run.m_threshold),
            "mm": run.get_m_method_display(),
        },  # fmt: skip
        _("会员 %(members)s 人，其中活跃会员 %(active)s 人。")
        % {"members": f"{run.members:,}", "active": f"{run.active_members:,}"},
        _measured_line(run),
    ]
    counts = RfmGroupCount.objects.filter(run=run).values_list("group")
    sizes = dict(counts.annotate(total=Sum("members")).order_by())
    lines += [f"  {group.label}：{sizes.get(group.value, 0):,}" for group in RfmGroup]
    return "\n".join(lines)
