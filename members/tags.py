"""Tags by hand (标签): store staff tag their own visible members; every write is audited.

A store manager or guide applies HQ tags and their store's tags to members they may see; a store
manager may also create a store tag. Rule tags (an HQ tag with a `rule_segment`) are recomputed
nightly from the segment's rule and are never applied or removed by hand.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import RuleViolation
from .models import Member, MemberTag, Tag, TagFamily, User

TAG_NAME_MAX = Tag._meta.get_field("name").max_length


def _check_may_tag(*, actor: User, member: Member, tag: Tag) -> None:
    if not (actor.is_store_staff or actor.is_hq):
        raise RuleViolation("tagging_not_allowed", _("您没有给会员打标签的权限。"), status_code=403)
    if not Member.objects.visible_to(actor).filter(pk=member.pk).exists():
        raise RuleViolation("member_not_found", _("会员不存在。"), status_code=404)
    usable = Tag.objects.visible_to(actor).usable_on(member)
    if not usable.filter(pk=tag.pk).exists():
        raise RuleViolation("tag_not_found", _("标签不存在或不能用于该会员。"), status_code=404)
    if tag.rule_segment_id is not None:
        raise RuleViolation(
            "rule_tag_by_hand",
            _("“%(tag)s”是规则标签，由系统每晚按规则计算，不能手工添加或移除。")
            % {"tag": tag.name},
        )


@transaction.atomic
def member_tag_add(*, member: Member, tag: Tag, actor: User) -> MemberTag:
    """Apply a tag to a member; applying a tag the member already has changes nothing."""
    _check_may_tag(actor=actor, member=member, tag=tag)
    link, created = MemberTag.objects.get_or_create(
        member=member, tag=tag, defaults={"tagged_by": actor}
    )
    if created:
        audit_record(
            actor=actor,
            obj=member,
            event="member_tag_add",
            changes={"tags": ["", tag.name]},
            tag=tag.pk,
        )
    return link


@transaction.atomic
def member_tag_remove(*, member: Member, tag: Tag, actor: User) -> bool:
    """Take a tag off a member; True when it was there."""
    _check_may_tag(actor=actor, member=member, tag=tag)
    deleted, _rows = MemberTag.objects.filter(member=member, tag=tag).delete()
    if deleted:
        audit_record(
            actor=actor,
            obj=member,
            event="member_tag_remove",
            changes={"tags": [tag.name, ""]},
            tag=tag.pk,
        )
    return bool(deleted)


def _clean_tag_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise RuleViolation("tag_name_required", _("请填写标签名称。"))
    if len(name) > TAG_NAME_MAX:
        raise RuleViolation(
            "tag_name_too_long", _("标签名称最多 %(max)d 个字。") % {"max": TAG_NAME_MAX}
        )
    return name


@transaction.atomic
def member_tag_add_new(*, member: Member, name: str, family: str, actor: User) -> MemberTag:
    """A store manager creates a tag of their own store (store from the account) and applies it."""
    if not actor.is_store_manager:
        raise RuleViolation(
            "store_tag_manager_only", _("只有店长可以新建门店标签。"), status_code=403
        )
    name = _clean_tag_name(name)
    if family not in TagFamily.values:
        raise RuleViolation("tag_family_unknown", _("请选择标签类别。"))
    taken = Tag.objects.filter(Q(store__isnull=True) | Q(store_id=actor.store_id), name=name)
    if taken.exists():
        raise RuleViolation(
            "tag_exists",
            _("已有名为“%(name)s”的标签，请直接选择。") % {"name": name},
            status_code=409,
        )
    try:
        with transaction.atomic():
            tag = Tag.objects.create(name=name, family=family, store_id=actor.store_id)
    except IntegrityError:
        raise RuleViolation(
            "tag_exists",
            _("已有名为“%(name)s”的标签，请直接选择。") % {"name": name},
            status_code=409,
        ) from None
    audit_record(actor=actor, obj=tag, event="store_tag_create", changes={"name": ["", name]})
    return member_tag_add(member=member, tag=tag, actor=actor)
