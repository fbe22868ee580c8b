"""Overdue reminders: one internal outbox message per guide and day counting their overdue tasks;
staff reminders ignore marketing opt-out but never repeat (INV-NO-DUP-MESSAGE, INV-JOB-RERUN)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from callbacks import tasks
from callbacks.models import CallbackPlan, CallbackTask, PlanStatus, TaskStatus
from callbacks.services.reminders import overdue_reminder_body, overdue_reminders_enqueue
from jobs.models import JobRun, JobStatus
from messaging.models import Channel, MessageKind, OutboxMessage, OutboxStatus
from messaging.services import outbox_send_due
from tests.callbacks.factories import CallbackTaskFactory
from tests.members.factories import GuideFactory, MemberFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def overdue_task(member, *, days_late=1, **fields):
    task = CallbackTaskFactory(member=member, **fields)
    CallbackTask.objects.filter(pk=task.pk).update(due_on=TODAY - timedelta(days=days_late))
    task.refresh_from_db()
    return task


def members_of(guide, n):
    return [MemberFactory(home_store=guide.store, guide=guide) for _ in range(n)]


def outbox():
    return sorted(
        (m.staff_id, m.member_id, m.kind, m.due_date, m.channel, m.marketing, m.body, m.payload)
        for m in OutboxMessage.objects.all()
    )


def test_each_guide_gets_one_message_counting_their_overdue_tasks(store_a, guide_a):
    other = GuideFactory(store=store_a)
    for member in members_of(guide_a, 3):
        overdue_task(member)
    overdue_task(members_of(other, 1)[0], days_late=10)

    run = overdue_reminders_enqueue(on=TODAY)

    assert run.status == JobStatus.FINISHED
    assert outbox() == sorted(
        [
            (guide_a.pk, None, MessageKind.CALLBACK_OVERDUE, TODAY, Channel.INTERNAL, False,
             overdue_reminder_body(3), {"overdue": 3}),
            (other.pk, None, MessageKind.CALLBACK_OVERDUE, TODAY, Channel.INTERNAL, False,
             overdue_reminder_body(1), {"overdue": 1}),
        ]
    )  # fmt: skip
    assert "3 条回访任务" in overdue_reminder_body(3)


def test_only_overdue_tasks_count(store_a, guide_a):
    members = members_of(guide_a, 6)
    overdue_task(members[0])
    due_today = CallbackTaskFactory(member=members[1])
    CallbackTask.objects.filter(pk=due_today.pk).update(due_on=TODAY)
    done = overdue_task(members[2])
    CallbackTask.objects.filter(pk=done.pk).update(status=TaskStatus.SUCCESSFUL, next_call_on=None)
    # Reached with no follow-up date: nothing more to call for.
    reached = overdue_task(members[3])
    CallbackTask.objects.filter(pk=reached.pk).update(status=TaskStatus.REACHED, next_call_on=None)
    closed = overdue_task(members[4])
    CallbackPlan.objects.filter(pk=closed.plan_id).update(status=PlanStatus.CLOSED)
    retry = overdue_task(members[5])
    CallbackTask.objects.filter(pk=retry.pk).update(status=TaskStatus.NOT_REACHED)

    overdue_reminders_enqueue(on=TODAY)

    assert OutboxMessage.objects.get().payload == {"overdue": 2}


def test_nobody_without_overdue_tasks_gets_a_message(guide_a, member_a):
    CallbackTaskFactory(member=member_a)

    run = overdue_reminders_enqueue(on=TODAY)

    assert run.status == JobStatus.FINISHED and run.chunk_total == 0
    assert not OutboxMessage.objects.exists()


def test_an_inactive_guide_gets_no_reminder(guide_a, member_a):
    overdue_task(member_a)
    guide_a.is_active = False
    guide_a.save(update_fields=["is_active"])

    overdue_reminders_enqueue(on=TODAY)

    assert not OutboxMessage.objects.exists()


def test_a_members_marketing_opt_out_does_not_stop_a_staff_reminder(guide_a, member_a):
    member_a.marketing_opt_out = True
    member_a.save(update_fields=["marketing_opt_out"])
    overdue_task(member_a)

    overdue_reminders_enqueue(on=TODAY)
    sent = outbox_send_due(
        now=datetime.combine(TODAY, time(8, 35), tzinfo=ZoneInfo("Asia/Shanghai"))
    )

    message = OutboxMessage.objects.get()
    assert sent["sent"] == 1 and message.status == OutboxStatus.SENT
    assert message.staff == guide_a


def test_a_re_run_of_the_same_day_writes_nothing(store_a, guide_a):
    for member in members_of(guide_a, 2):
        overdue_task(member)
    overdue_reminders_enqueue(on=TODAY)
    before = outbox()

    again = overdue_reminders_enqueue(on=TODAY)
    JobRun.objects.all().delete()  # a fresh run of the same day: the outbox still says no
    fresh = overdue_reminders_enqueue(on=TODAY)

    assert again.status == fresh.status == JobStatus.FINISHED
    assert fresh.detail == {"rows": 0}
    assert outbox() == before and OutboxMessage.objects.count() == 1


def test_a_guide_still_behind_is_reminded_again_the_next_day(guide_a, member_a):
    overdue_task(member_a, days_late=2)
    overdue_reminders_enqueue(on=TODAY - timedelta(days=1))

    overdue_reminders_enqueue(on=TODAY)

    assert sorted(OutboxMessage.objects.values_list("due_date", flat=True)) == [
        TODAY - timedelta(days=1),
        TODAY,
    ]


def test_chunk_sizes_give_identical_results(store_a):
    guides = [GuideFactory(store=store_a) for _ in range(5)]
    for n, guide in enumerate(guides):
        for member in members_of(guide, n + 1):
            overdue_task(member)
    results = []
    for size in (1, 2, 10_000):
        OutboxMessage.objects.all().delete()
        JobRun.objects.all().delete()
        overdue_reminders_enqueue(on=TODAY, chunk_size=size)
        results.append(outbox())
    assert results[0] == results[1] == results[2] and len(results[0]) == 5


def test_the_morning_task_reminds_for_today(guide_a, member_a, django_capture_on_commit_callbacks):
    overdue_task(member_a)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.remind_overdue_daily.delay()

    assert OutboxMessage.objects.get().due_date == TODAY
    assert JobRun.objects.get(job="callbacks.remind_overdue").status == JobStatus.FINISHED
