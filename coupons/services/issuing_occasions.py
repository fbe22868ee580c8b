"""Coupons for occasions, issued by the clock: the welcome pack (开卡礼) for new members and the
birthday coupon (生日券).

Each occasion is one keyed batch per template and day (welcome) or month (birthday), found
again by its key on every run and run again with `rerun`: members who joined late, or were
imported after the first run, get theirs on the next run, and nobody gets a second one.
"""

import datetime

from django.utils import timezone

from members.models import Member

from ..models import (
    BatchSource,
    CouponSettings,
    CouponTemplate,
    IssueBatch,
    TemplateStatus,
    WelcomePackItem,
)
from .issuing_job import Dispatch, batch_issue
from .issuing_rules import template_issuable


def _keyed_batch(*, key: str, template: CouponTemplate, source: str, target_on) -> IssueBatch:
    batch, _created = IssueBatch.objects.get_or_create(
        key=key, defaults={"template": template, "source": source, "target_on": target_on}
    )
    return batch


def welcome_pack_templates() -> list[CouponTemplate]:
    items = WelcomePackItem.objects.filter(template__status=TemplateStatus.ACTIVE)
    today = timezone.localdate()
    templates = [item.template for item in items.select_related("template")]
    return [template for template in templates if template_issuable(template, on=today)]


def welcome_pack_issue(
    *, joined_on: datetime.date, dispatch: Dispatch | None = None
) -> list[IssueBatch]:
    """The welcome pack for the members who joined on `joined_on`: one batch per pack coupon.
    No batch is made for a day nobody joined."""
    if not Member.objects.filter(joined_at=joined_on).exists():
        return []
    batches = []
    for template in welcome_pack_templates():
        batch = _keyed_batch(
            key=f"welcome:{template.pk}:{joined_on.isoformat()}",
            template=template,
            source=BatchSource.WELCOME,
            target_on=joined_on,
        )
        batches.append(batch_issue(batch=batch, rerun=True, dispatch=dispatch))
    return batches


def birthday_coupons_issue(
    *, month: datetime.date, dispatch: Dispatch | None = None
) -> IssueBatch | None:
    """HQ's birthday coupon for the members born in `month`'s month; None when HQ has set no
    birthday template (or it cannot be issued)."""
    template = CouponSettings.current().birthday_template
    if template is None or not template_issuable(template, on=timezone.localdate()):
        return None
    first = month.replace(day=1)
    batch = _keyed_batch(
        key=f"birthday:{template.pk}:{first:%Y-%m}",
        template=template,
        source=BatchSource.BIRTHDAY,
        target_on=first,
    )
    return batch_issue(batch=batch, rerun=True, dispatch=dispatch)
