"""Reads behind the portal's callback pages: the worklist (today's due tasks), a member's last
calls, the care-window flag, and the user's overdue reminders. Everything starts from
visible_to(user)."""

import datetime

from django.db.models import Q, QuerySet

from members.models import Product, User
from messaging.models import MessageKind, OutboxMessage

from .models import CallbackAttempt, CallbackTask
from .services.generation import bought_in_care_window

ATTEMPTS_SHOWN = 10
PRODUCTS_FOUND = 20
# An overdue reminder older than this is history, not news: the banner leaves it out.
REMINDER_FRESH_DAYS = 7


def latest_overdue_reminder(user, *, today: datetime.date) -> OutboxMessage | None:
    """The newest overdue-callback reminder addressed to `user` (callbacks.services.reminders),
    if it is of the last REMINDER_FRESH_DAYS days."""
    since = today - datetime.timedelta(days=REMINDER_FRESH_DAYS)
    reminders = OutboxMessage.objects.visible_to(user).filter(
        staff_id=user.pk, kind=MessageKind.CALLBACK_OVERDUE, due_date__gte=since
    )
    return reminders.order_by("-due_date", "-id").first()


def worklist(user, *, today: datetime.date, guide: User | None = None) -> QuerySet:
    """Today's due tasks the user may see, in calling order (the plan's priority, then the
    longest waiting); a store manager may narrow the store's list to one guide."""
    tasks = CallbackTask.objects.visible_to(user).due(on=today)
    if guide is not None:
        tasks = tasks.filter(assignee=guide)
    # Read from the orders, not the last regroup: a purchase made today is flagged today.
    tasks = tasks.annotate(
        in_care_window=bought_in_care_window(today=today, member_ref="member_id")
    )
    return tasks.select_related("plan", "member", "member__rfm", "assignee").order_by(
        "priority", "next_call_on", "id"
    )


def store_guides(user) -> QuerySet:
    """The staff a store manager filters the worklist by (the store's guides and managers)."""
    if not user.is_store_manager:
        return User.objects.none()
    return User.objects.store_staff(user.store_id)


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


def products_by_id(ids: list[int]) -> list[Product]:
    return list(Product.objects.filter(pk__in=ids).order_by("sku")) if ids else []


def product_search(text: str, *, limit: int = PRODUCTS_FOUND, exclude_ids=()) -> list[Product]:
    """Products whose SKU, name or series contains `text` (the catalogue is the brand's, shared
    by every store), in SKU order; at most `limit`."""
    text = text.strip()
    if not text:
        return []
    matches = Product.objects.filter(
        Q(sku__icontains=text) | Q(name__icontains=text) | Q(series__icontains=text)
    ).exclude(pk__in=list(exclude_ids))
    return list(matches.order_by("sku")[:limit])
