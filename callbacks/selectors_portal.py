"""Reads behind the portal's callback pages: the worklist (today's due tasks), a member's last
calls, and the figures of one plan. Everything starts from visible_to(user)."""

import datetime

from django.db.models import QuerySet

from members.models import Role, User

from .models import CallbackAttempt, CallbackTask

ATTEMPTS_SHOWN = 10


def worklist(user, *, today: datetime.date, guide: User | None = None) -> QuerySet:
    """Today's due tasks the user may see, in calling order (the plan's priority, then the
    longest waiting); a store manager may narrow the store's list to one guide."""
    tasks = CallbackTask.objects.visible_to(user).due(on=today)
    if guide is not None:
        tasks = tasks.filter(assignee=guide)
    return tasks.select_related("plan", "member", "member__rfm", "assignee").order_by(
        "priority", "next_call_on", "id"
    )


def store_guides(user) -> QuerySet:
    """The staff a store manager filters the worklist by (the store's guides and managers)."""
    if not user.is_store_manager:
        return User.objects.none()
    return User.objects.filter(
        store_id=user.store_id, role__in=[Role.GUIDE, Role.STORE_MANAGER]
    ).order_by("role", "first_name", "username")


def member_last_calls(user, member_id: int) -> list[CallbackAttempt]:
    """The member's latest calls, of every plan, that the user may see."""
    attempts = CallbackAttempt.objects.visible_to(user).filter(task__member_id=member_id)
    return list(attempts.select_related("task__plan", "called_by")[:ATTEMPTS_SHOWN])


def next_task(user, *, today: datetime.date, after: CallbackTask | None = None):
    """The first task still due on the user's worklist (the one just worked skipped); a manager
    working their own tasks stays on their own."""
    tasks = worklist(user, today=today)
    if not user.is_guide and after is not None and user.pk == after.assignee_id:
        tasks = tasks.filter(assignee=user)
    if after is not None:
        tasks = tasks.exclude(pk=after.pk)
    return tasks.first()
