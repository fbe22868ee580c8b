"""The demo's coupons: one template of each kind (先易后难, easiest first), the welcome pack, the
birthday coupon, and coupons issued the way HQ and the clock issue them, so the coupon pages have
something to show.

Issued through the real job, in-process: one HQ batch to the starter segment "一般挽留客户", the
welcome pack for the members who joined in the last week, and this month's birthday coupons.
"""

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from coupons.models import (
    BatchSource,
    Coupon,
    CouponSettings,
    CouponTemplate,
    IssueBatch,
    LimitPeriod,
    TemplateStatus,
    WelcomePackItem,
)
from coupons.services.basket import Basket
from coupons.services.issuing_job import batch_issue
from coupons.services.issuing_occasions import birthday_coupons_issue, welcome_pack_issue
from coupons.services.redemption import coupon_redeem
from coupons.services.templates import template_kind_assign
from members.models import Segment, User

# "Ordinary win-back: automated messages, coupons by SMS" (the eight groups' treatments).
DEMO_SEGMENT = "一般挽留客户"
WELCOME_DAYS = 7
REDEEMED_SHARE = 1 / 6
# Each redemption goes through the POS service (about 10 ms): at most this many, spread over
# all coupons, so a 1M-member demo does not spend ten minutes at the till.
REDEEMED_MAX = 5_000
DEMO_SEED = 20261123

# name, face value, minimum spend, ease rank, guide may issue
KINDS = [
    ("无门槛50元券", "50", "0", 1, False),
    ("无门槛10元券", "10", "0", 2, True),
    ("满300减60券", "60", "300", 3, False),
    ("满200减20券", "20", "200", 4, True),
]
WELCOME_PACK = [
    ("开卡礼·无门槛20元券", "20", "0", 1),
    ("开卡礼·满200减30券", "30", "200", 3),
    ("开卡礼·满500减80券", "80", "500", 4),
]
BIRTHDAY = ("生日礼·无门槛50元券", "50", "0", 1)


def _template(name: str, face: str, min_spend: str, ease: int, admin: User, **fields):
    template = CouponTemplate(
        name=name,
        face_value=Decimal(face),
        min_spend=Decimal(min_spend),
        ease_rank=ease,
        valid_days=30,
        status=TemplateStatus.ACTIVE,
        created_by=admin,
        **fields,
    )
    template_kind_assign(template)
    template.save()
    return template


def demo_templates(admin: User) -> list[CouponTemplate]:
    """The four kinds, the welcome pack of three and the birthday coupon (HQ's settings)."""
    kinds = [
        _template(name, face, spend, ease, admin, guide_may_issue=guide)
        for name, face, spend, ease, guide in KINDS
    ]
    for position, (name, face, spend, ease) in enumerate(WELCOME_PACK, start=1):
        WelcomePackItem.objects.create(
            template=_template(name, face, spend, ease, admin), position=position
        )
    # A birthday coupon once a year: the per-member limit counts this year's coupons only.
    birthday = _template(*BIRTHDAY, admin, limit_period=LimitPeriod.YEAR)
    settings_row = CouponSettings.current()
    settings_row.birthday_template = birthday
    settings_row.save()
    return kinds


def demo_coupons(today: date, report: Callable[[str], None]) -> None:
    admin = User.objects.get(username="admin")
    kinds = demo_templates(admin)
    segment = Segment.objects.filter(name=DEMO_SEGMENT, store__isnull=True).first()
    if segment is not None:
        batch = IssueBatch.objects.create(
            template=kinds[1], source=BatchSource.SEGMENT, segment=segment, created_by=admin
        )
        batch_issue(batch=batch)
    for days_ago in range(WELCOME_DAYS, -1, -1):
        welcome_pack_issue(joined_on=today - timedelta(days=days_ago))
    birthday_coupons_issue(month=today)
    issued = IssueBatch.objects.aggregate(n=Sum("issued_count"))["n"] or 0
    report(_("优惠券已发放：%(count)s 张（分组批次、开卡礼、生日券）。") % {"count": f"{issued:,}"})
    redeemed = demo_redemptions(rng=random.Random(DEMO_SEED))
    report(_("优惠券已核销：%(count)s 张（门店收银台）。") % {"count": f"{redeemed:,}"})


def demo_redemptions(*, rng: random.Random) -> int:
    """About one coupon in six (fewer past REDEEMED_MAX) used at its member's store through the
    POS service, on a basket a little above its threshold, so the ROI pages have figures. The
    till's orders themselves are not in the demo (their redemptions wait unlinked, as a till
    that has not uploaded yet)."""
    coupons = Coupon.objects.unused().select_related("member", "store").order_by("pk")
    share = min(REDEEMED_SHARE, REDEEMED_MAX / max(coupons.count(), 1))
    redeemed = 0
    for coupon in coupons.iterator():
        if rng.random() > share:
            continue
        amount = max(coupon.min_spend, coupon.face_value) + Decimal(rng.randrange(40, 400))
        coupon_redeem(
            store=coupon.store,
            code=coupon.code,
            phone=coupon.member.phone,
            order_no=f"DEMO-CPN-{coupon.pk}",
            basket=Basket(amount=amount),
        )
        redeemed += 1
    return redeemed
