"""A template's status: a draft is activated (启用), an active template closed (停用); closed is
final. The one function that moves it writes an audit row."""

from django.db import transaction
from django.utils.translation import gettext as _

from members.audit import audit_record
from members.errors import RuleViolation

from ..models import CouponTemplate, TemplateStatus

TEMPLATE_TRANSITIONS: dict[str, frozenset[str]] = {
    TemplateStatus.DRAFT: frozenset({TemplateStatus.ACTIVE}),
    TemplateStatus.ACTIVE: frozenset({TemplateStatus.CLOSED}),
    TemplateStatus.CLOSED: frozenset(),
}


class IllegalTemplateTransition(RuleViolation):
    pass


@transaction.atomic
def template_status_change(*, template: CouponTemplate, to: str, actor) -> CouponTemplate:
    """Move `template` to `to` under its row lock; the status it already has is a no-op."""
    locked = CouponTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.status == to:
        return locked
    if to not in TEMPLATE_TRANSITIONS[locked.status]:
        raise IllegalTemplateTransition(
            "illegal_template_transition",
            _("模板“%(name)s”不能从“%(from)s”变为“%(to)s”。")
            % {
                "name": locked.name,
                "from": TemplateStatus(locked.status).label,
                "to": TemplateStatus(to).label,
            },
        )
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
