"""`seed_demo`: the whole demo chain in one transaction, or nothing if it is already there."""

import itertools
import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, MemberTag, Order, OrderLine, Refund, Segment, Store, User
from members.purchases import purchase_summary_refresh
from members.rfm import rfm_regroup
from members.segments.materialise import segment_materialise

from .callbacks import demo_callbacks
from .coupons import demo_coupons
from .organisation import DEMO_PASSWORD, organisation_create
from .population import Population
from .sinks import sink_for_connection

DEFAULT_SEED = 20260101
DEFAULT_MEMBERS = 20_000
CHUNK_MEMBERS = 5_000
DEMO_URL = "http://127.0.0.1:8000/"
BULK_MODELS = [Member, Order, OrderLine, Refund, MemberTag]


def demo_loaded() -> bool:
    return User.objects.filter(username="admin").exists() or Store.objects.exists()


def seed_demo(
    *,
    members: int = DEFAULT_MEMBERS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    report: Callable[[str], None] = print,
) -> bool:
    """Load the demo chain; returns False (and changes nothing) when demo data is already loaded."""
    if demo_loaded():
        report(_("演示数据已加载，跳过。"))
        return False
    started = time.monotonic()
    with transaction.atomic():
        population = _population(random.Random(seed), members, today or timezone.localdate())
        population.sink.start()
        every = max(1, members // CHUNK_MEMBERS // 20)  # about twenty progress lines
        for number in itertools.count(1):
            if not population.chunk(CHUNK_MEMBERS):
                break
            if number % every == 0 or population.generated == members:
                report(_progress(population, time.monotonic() - started))
        report(_("正在完成写入（建立索引、重置序列）……"))
        population.sink.finish()
        _demo_manager_may_export()
    report(_("演示数据生成完毕，用时 %(s).1f 秒。") % {"s": time.monotonic() - started})
    _demo_regroup(today or timezone.localdate(), report)
    demo_coupons(today or timezone.localdate(), report)
    demo_callbacks(report)
    report(demo_logins())
    return True


def _demo_manager_may_export() -> None:
    """The demo store manager may export their segments' members (HQ admins are superusers);
    guides may not."""
    permission = Permission.objects.get(content_type__app_label="members", codename="export_member")
    User.objects.get(username="manager").user_permissions.add(permission)


def _demo_regroup(today: date, report: Callable[[str], None]) -> None:
    """The demo pages show RFM groups and segment sizes: one regroup, the purchase summary and
    one materialisation of every segment as of the day before `today`, as the nightly jobs
    would."""
    run = rfm_regroup(business_date=today - timedelta(days=1))
    report(
        _("RFM 分群完成：统计日期 %(date)s，会员 %(members)s 人。")
        % {"date": run.business_date, "members": f"{run.members:,}"}
    )
    purchase_summary_refresh(business_date=run.business_date)
    report(_("购买汇总已生成。"))
    for segment in Segment.objects.filter(active=True):
        segment_materialise(segment=segment, business_date=run.business_date)
    report(_("分组人数已计算。"))


def _population(rng: random.Random, members: int, today: date) -> Population:
    org = organisation_create(rng, members=members)
    first_ids = {
        model: (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for model in BULK_MODELS
    }
    return Population(
        rng, sink_for_connection(), org, total=members, today=today, first_ids=first_ids
    )


def _progress(population: Population, seconds: float) -> str:
    return _("会员 %(done)s/%(total)s，订单 %(orders)s，已用 %(s).1f 秒") % {
        "done": f"{population.generated:,}",
        "total": f"{population.total:,}",
        "orders": f"{population.orders:,}",
        "s": seconds,
    }


def demo_logins() -> str:
    lines = [
        _("演示账号（密码均为 %(password)s），请访问 %(url)s ：")
        % {
            "password": DEMO_PASSWORD,
            "url": DEMO_URL,
        },
        _("  总部管理员：admin（后台 %(url)sadmin/）") % {"url": DEMO_URL},
        _("  片区经理：region（%(region)s）") % {"region": _first_region_name()},
        _("  店长：manager（%(store)s）") % {"store": _first_store_name()},
        _("  导购：guide（%(store)s）") % {"store": _first_store_name()},
    ]
    return "\n".join(lines)


def _first_store_name() -> str:
    store = Store.objects.order_by("code").first()
    return str(store) if store else ""


def _first_region_name() -> str:
    store = Store.objects.select_related("region").order_by("code").first()
    return store.region.name if store else ""
