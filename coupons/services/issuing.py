"""Creating an issuing batch (发券批次): who may issue to whom, checked once, then the job runs.

HQ issues to any segment or to a phone list across the chain (the batch has no store). A store
manager issues only to their own store's sub-segments or to a list of their own members (the
batch is their store's and reaches only its members). Guides hand out single coupons instead
(coupons.services.issuing_single). The coupons themselves are written by the batch's job after
the batch commits (coupons.services.issuing_job).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.errors import RuleViolation
from members.models import Segment, User
from members.phone_lists import phone_list_check

from ..models import BatchSource, CouponTemplate, IssueBatch
from ..tasks import issue_batch
from .issuing_rules import template_check_issuable


def may_issue_batch(user: User) -> bool:
    """HQ, and a store manager for their own store; guides hand out single coupons instead."""
    return user.is_hq or (user.is_store_manager and bool(user.store_id))


def _check_actor(actor: User) -> None:
    if actor.is_guide:
        raise RuleViolation(
            "not_allowed", _("导购不能批量发券，请在会员页面单张发放。"), status_code=403
        )
    if not may_issue_batch(actor):
        raise RuleViolation("not_allowed", _("只有总部和店长可以批量发券。"), status_code=403)


def _segment_checked(segment: Segment | None, actor: User) -> Segment:
    if segment is None:
        raise RuleViolation("segment_required", _("请选择要发券的分组。"))
    visible = Segment.objects.visible_to(actor).filter(pk=segment.pk).first()
    if visible is None:
        raise RuleViolation("segment_not_found", _("分组不存在。"), status_code=404)
    if not actor.is_hq and visible.store_id != actor.store_id:
        raise RuleViolation("segment_not_own", _("门店只能向本店的二次分组发券。"), status_code=403)
    if not visible.active:
        raise RuleViolation(
            "segment_inactive", _("分组“%(name)s”已停用，不能发券。") % {"name": visible.name}
        )
    return visible


def _existing(key: str, actor: User) -> IssueBatch | None:
    """A batch already made with this key (a form sent twice) is the answer, if it is ours."""
    batch = IssueBatch.objects.filter(key=key).first()
    if batch is not None and batch.store_id != getattr(actor.own_store, "pk", None):
        raise RuleViolation("batch_key_taken", _("批次键已被使用，请刷新页面后重新提交。"))
    return batch


@transaction.atomic
def batch_create(
    *,
    template: CouponTemplate,
    source: str,
    actor: User,
    segment: Segment | None = None,
    phones_text: str = "",
    key: str | None = None,
) -> IssueBatch:
    """A segment or phone-list batch, checked; its job is enqueued when the batch commits."""
    _check_actor(actor)
    if key and (existing := _existing(key, actor)):
        return existing
    template_check_issuable(template, on=timezone.localdate())
    batch = IssueBatch(
        template=template, source=source, store=actor.own_store, created_by=actor, key=key or None
    )
    if source == BatchSource.SEGMENT:
        batch.segment = _segment_checked(segment, actor)
    elif source == BatchSource.PHONES:
        phones, batch.rejected = phone_list_check(phones_text, actor=actor)
        batch.phones = "\n".join(phones)
    else:
        raise RuleViolation("batch_source", _("批量发券只能按分组或手机号名单发放。"))
    batch.save()
    transaction.on_commit(lambda: issue_batch.delay(batch.pk))
    return batch
