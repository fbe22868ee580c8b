"""A template's status: a draft is activated (启用), an active template closed (停用); closed is
final. The one function that moves it writes an audit row."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from members.audit import audit_record
from members.transitions import Transitions

from ..models import CouponTemplate, TemplateStatus

TEMPLATE_TRANSITIONS = Transitions(
    table={
        TemplateStatus.DRAFT: frozenset({TemplateStatus.ACTIVE}),
        TemplateStatus.ACTIVE: frozenset({TemplateStatus.CLOSED}),
        TemplateStatus.CLOSED: frozenset(),
    },
    statuses=TemplateStatus,
    code="illegal_template_transition",
    message=_("模板“%(name)s”不能从“%(from)s”变为“%(to)s”。"),
)


@transaction.atomic
def template_status_change(*, template: CouponTemplate, to: str, actor) -> CouponTemplate:
    """Move `template` to `to` under its row lock; the status it already has is a no-op."""
    locked = CouponTemplate.objects.select_for_update().get(pk=template.pk)
    if not TEMPLATE_TRANSITIONS.check(locked.status, to, name=locked.name):
        return locked
    before = locked.status
    locked.status = to
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        obj=locked,
        event=f"coupon_template_{to}",
        changes={"status": [before, to]},
    )
    return locked
