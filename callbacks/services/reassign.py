"""Who a task is with, kept in step with who the member is bound to.

A store manager hands open tasks to another guide of the store, or takes them on: handing a
member's task to a guide binds the member to that guide (members.services.member_rebind, audited),
because a guide only ever sees members bound to them (INV-STORE-ISOLATION). Every re-binding,
from here or anywhere else, moves the member's open tasks to their new guide, or to the store
manager of their (new) store (`open_tasks_follow`, a members.services.REBIND_FOLLOWERS hook).
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.errors import RuleViolation
from members.models import Member, Role, User
from members.services import member_rebind

from ..models import CallbackTask, PlanStatus
from .assignment import assignee_expression

REASSIGN_REASON = gettext_lazy("回访任务改派")


def assignee_for(member: Member) -> int | None:
    """Whom a task of `member` goes to now (the one rule of services.assignment)."""
    return (
        Member.objects.filter(pk=member.pk)
        .annotate(assignee_ref=assignee_expression())
        .values_list("assignee_ref", flat=True)
        .first()
    )


def open_tasks_follow(member: Member, actor) -> None:
    tasks = CallbackTask.objects.open().filter(member_id=member.pk)
    fields = {"store_id": member.home_store_id, "updated_at": timezone.now()}
    assignee = assignee_for(member)
    if assignee is not None:
        fields["assignee_id"] = assignee
    tasks.update(**fields)


def reassign_targets(actor) -> QuerySet:
    """Whom a store manager may hand tasks to: the store's active guides and managers."""
    if not actor.is_store_manager:
        return User.objects.none()
    return User.objects.store_staff(actor.store_id).filter(is_active=True)


def _check(actor, to_user: User) -> None:
    if not actor.is_store_manager:
        raise RuleViolation(
            "reassign_not_allowed", _("只有店长可以改派回访任务。"), status_code=403
        )
    if not reassign_targets(actor).filter(pk=to_user.pk).exists():
        raise RuleViolation("reassign_other_store", _("只能改派给本店在职的导购或店长。"))


@transaction.atomic
def callback_tasks_reassign(*, task_ids: list[int], to_user: User, actor) -> int:
    """Hand the open tasks among `task_ids` of the manager's store to `to_user`; returns how
    many moved (a task already with `to_user` does not count). Tasks of other stores, unknown
    ids, or tasks already closed are left alone, and told apart from nothing."""
    _check(actor, to_user)
    tasks = (
        CallbackTask.objects.visible_to(actor)
        .open()
        .filter(pk__in=task_ids)
        .select_related("member")
        .select_for_update(of=("self",))
    )
    moved = 0
    for task in tasks:
        if to_user.role == Role.GUIDE and task.member.guide_id != to_user.pk:
            member_rebind(
                member=task.member, to_guide=to_user, reason=str(REASSIGN_REASON), actor=actor
            )
        elif task.assignee_id != to_user.pk:
            CallbackTask.objects.filter(pk=task.pk).update(
                assignee=to_user, updated_at=timezone.now()
            )
        else:
            continue
        moved += 1
    return moved


@transaction.atomic
def callback_tasks_reassign_all(*, from_user: User, to_user: User, actor) -> int:
    """Hand every open task of an active plan that `from_user` holds in the manager's store to
    `to_user` (callback_tasks_reassign: the same rule, task by task); returns how many moved."""
    task_ids = list(
        CallbackTask.objects.visible_to(actor)
        .open()
        .filter(assignee_id=from_user.pk, plan__status=PlanStatus.ACTIVE)
        .values_list("pk", flat=True)
    )
    return callback_tasks_reassign(task_ids=task_ids, to_user=to_user, actor=actor)
