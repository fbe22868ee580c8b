"""Writes on segments: who may create and edit which, and saving a validated rule.

HQ creates and edits HQ segments; a store manager creates and edits sub-segments (二次分组) of
their own store only, the store taken from the user, from scratch or from an HQ segment (base).
Region managers and guides read only.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..errors import RuleViolation
from ..models import Segment, User
from ..tasks import segment_materialise_task
from .rules import rule_check


class InvalidRule(RuleViolation):
    """A rule with errors; `errors` are the RuleError list (path, field, message)."""

    def __init__(self, errors):
        super().__init__("invalid_rule", "；".join(str(error) for error in errors))
        self.errors = errors


def may_create_segment(user: User) -> bool:
    return user.is_hq or user.is_store_manager


def may_edit_segment(user: User, segment: Segment) -> bool:
    """Also who may materialise it on demand."""
    if segment.store_id is None:
        return user.is_hq
    return user.is_store_manager and segment.store_id == user.store_id


def _check_base(actor: User, base: Segment | None) -> None:
    if base is None:
        return
    if actor.is_hq:
        raise RuleViolation("base_for_hq", _("总部分组不能基于其他分组创建。"))
    if base.store_id is not None:
        raise RuleViolation("base_not_hq", _("二次分组只能基于总部分组创建。"))


def _clean_rule(actor: User, rule) -> dict:
    checked = rule_check(rule, user=actor)
    if checked.errors:
        raise InvalidRule(checked.errors)
    return checked.rule


def _save(segment: Segment) -> Segment:
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise RuleViolation(
            "duplicate_name", _("已有同名分组“%(name)s”，请换一个名称。") % {"name": segment.name}
        ) from None
    return segment


def _audited_fields(segment: Segment) -> dict:
    return {
        "name": segment.name,
        "description": segment.description,
        "rule": segment.rule,
        "base": segment.base_id,
    }


def _audited(before: dict | None, segment: Segment) -> dict:
    """The changed fields as auditlog wants them: {field: [before, after]}."""
    after = _audited_fields(segment)
    before = before or dict.fromkeys(after)
    return {
        field: [before[field], value] for field, value in after.items() if before[field] != value
    }


@transaction.atomic
def segment_create(
    *, name: str, description: str = "", rule, base: Segment | None = None, actor: User
) -> Segment:
    if not may_create_segment(actor):
        raise RuleViolation("not_allowed", _("只有总部和店长可以新建分组。"), status_code=403)
    _check_base(actor, base)
    segment = Segment(
        name=name,
        description=description,
        rule=_clean_rule(actor, rule),
        base=base,
        store=actor.own_store,
        created_by=actor,
    )
    _save(segment)
    audit_record(actor=actor, obj=segment, event="segment_created", changes=_audited(None, segment))
    return segment


@transaction.atomic
def segment_update(
    *, segment: Segment, name: str, description: str = "", rule, base=None, actor: User
) -> Segment:
    if not may_edit_segment(actor, segment):
        raise RuleViolation("not_allowed", _("您不能修改这个分组。"), status_code=403)
    _check_base(actor, base)
    before = _audited_fields(segment)
    segment.name = name
    segment.description = description
    segment.rule = _clean_rule(actor, rule)
    segment.base = base
    _save(segment)
    if changes := _audited(before, segment):
        audit_record(actor=actor, obj=segment, event="segment_updated", changes=changes)
    return segment


def segment_materialise_request(*, segment: Segment, actor: User) -> None:
    """Recalculate a segment now (today's date, after the current transaction commits): whoever
    may edit it may ask."""
    if not may_edit_segment(actor, segment):
        raise RuleViolation("not_allowed", _("您不能重新计算这个分组。"), status_code=403)
    day = timezone.localdate().isoformat()
    transaction.on_commit(lambda: segment_materialise_task.delay(segment.pk, day, True))
