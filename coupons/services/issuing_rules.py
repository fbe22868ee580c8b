"""The rules every issuing path applies the same way (a batch chunk and a guide's single coupon):
whether a template may be issued at all, where its coupons are usable, how many more it may issue
(quota, budget), and when a coupon issued on a day is valid.

Quota and budget read `template.issued_count`, which every path keeps under the template's row
lock, so the figures here are only meaningful on a template read with `select_for_update`.
"""

import datetime

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.errors import RuleViolation

from ..models import CouponTemplate, TemplateStatus, ValidityKind
from .templates import stores_covering

# Why a targeted member got no coupon, as stored in `IssueBatch.skipped`.
SKIP_REASONS = {
    "store_not_covered": gettext_lazy("归属门店不在适用范围"),
    "per_member_limit": gettext_lazy("已达每人限领"),
    "quota": gettext_lazy("发放总量已用完"),
    "budget": gettext_lazy("预算已用完"),
    "template_closed": gettext_lazy("券模板已停用或过期"),
}


def template_issuable(template: CouponTemplate, *, on: datetime.date) -> bool:
    """Active, and (for fixed dates) not past its last valid day."""
    if template.status != TemplateStatus.ACTIVE:
        return False
    return template.validity != ValidityKind.FIXED or template.valid_until >= on


def template_check_issuable(template: CouponTemplate, *, on: datetime.date) -> None:
    if template.status != TemplateStatus.ACTIVE:
        raise RuleViolation(
            "template_not_active",
            _("券模板“%(name)s”未启用，不能发放。") % {"name": template.name},
        )
    if not template_issuable(template, on=on):
        raise RuleViolation(
            "template_expired",
            _("券模板“%(name)s”已过有效期，不能发放。") % {"name": template.name},
        )


def member_covered_q(template: CouponTemplate) -> Q | None:
    """A filter on Member: the home store is one the template covers (None: every member)."""
    stores = stores_covering(template)
    return None if stores is None else Q(home_store__in=stores.values("pk"))


def issuing_room(template: CouponTemplate) -> tuple[int | None, str]:
    """How many more coupons the template may issue, and which limit says so ("quota" or
    "budget"); (None, "") when neither is set. The budget counts face value."""
    limits: list[tuple[int, str]] = []
    if template.total_quota is not None:
        limits.append((max(template.total_quota - template.issued_count, 0), "quota"))
    if template.budget is not None:
        spent = template.issued_count * template.face_value
        left = (template.budget - spent) // template.face_value
        limits.append((max(int(left), 0), "budget"))
    if not limits:
        return None, ""
    return min(limits, key=lambda limit: limit[0])


def validity_for(template: CouponTemplate, *, issued_on: datetime.date):
    """(valid_from, valid_until) of a coupon issued on `issued_on`: the template's fixed dates,
    or N days counting the issue day as day 1."""
    if template.validity == ValidityKind.FIXED:
        return template.valid_from, template.valid_until
    return issued_on, issued_on + datetime.timedelta(days=template.valid_days - 1)
