"""The lifecycle rules: important retention / win-back members get a personal task in the month's
HQ lifecycle plan, ordinary ones an automated SMS; nobody in the care window, opted out (for
marketing) or lately contacted; re-runs write nothing and an interrupted run resumes to the clean
result (INV-JOB-RERUN, INV-NO-DUP-MESSAGE)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from callbacks import tasks
from callbacks.models import (
    CallbackPlan,
    CallbackTask,
    LifecycleSettings,
    PlanStatus,
    PlanTarget,
    TaskStatus,
)
from callbacks.services import lifecycle
from callbacks.services.lifecycle import lifecycle_plan_name, lifecycle_rules_run
from callbacks.services.plans import plan_activate
from jobs.models import JobChunk, JobRun, JobStatus
from members.errors import RuleViolation
from members.models import RfmGroup
from messaging.models import Channel, MessageKind, OutboxMessage, OutboxStatus
from messaging.services import outbox_send_due
from tests.callbacks.factories import CallbackTaskFactory
from tests.members.factories import (
    GuideFactory,
    HqAdminFactory,
    MemberFactory,
    MemberRfmFactory,
    RfmRunFactory,
    StoreManagerFactory,
)

pytestmark = pytest.mark.django_db

ON = date(2026, 7, 10)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def rules():
    row = LifecycleSettings.current()
    row.personal_enabled = row.automated_enabled = True
    row.save()
    return row


def member_in(group, *, store, guide=None, bought_days_ago=60, **fields):
    member = MemberFactory(home_store=store, guide=guide, **fields)
    MemberRfmFactory(
        member=member,
        group=group,
        as_of=ON - timedelta(days=1),
        last_purchase_on=ON - timedelta(days=bought_days_ago),
    )
    return member


def tasks_of():
    made = CallbackTask.objects.filter(plan__target_kind=PlanTarget.LIFECYCLE)
    return sorted(made.values_list("member_id", "assignee_id", "next_call_on", "due_on"))


def messages():
    return sorted(
        (m.member_id, m.kind, m.due_date, m.channel, m.marketing, m.body, m.payload["group"])
        for m in OutboxMessage.objects.all()
    )


def state():
    return {
        "tasks": tasks_of(),
        "messages": messages(),
        "plans": list(
            CallbackPlan.objects.values_list("name", "starts_on", "due_on", "task_count", "status")
        ),
    }


def called(member, *, days_ago, store_guide):
    """A finished callback of another plan, `days_ago` local days before ON."""
    task = CallbackTaskFactory(member=member, assignee=store_guide)
    CallbackTask.objects.filter(pk=task.pk).update(
        status=TaskStatus.DECLINED,
        next_call_on=None,
        last_called_at=datetime.combine(ON - timedelta(days=days_ago), time(10), tzinfo=SHANGHAI),
    )
    return task


# --- Switched off -------------------------------------------------------------------------------


def test_with_both_rules_off_nothing_happens(store_a, guide_a):
    member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)
    member_in(RfmGroup.ORDINARY_WINBACK, store=store_a, guide=guide_a)

    run = lifecycle_rules_run(on=ON)

    assert run.status == JobStatus.FINISHED and run.chunk_total == 0
    assert not CallbackPlan.objects.exists() and not OutboxMessage.objects.exists()


def test_each_rule_switches_on_alone(store_a, guide_a):
    row = LifecycleSettings.current()
    row.automated_enabled = True
    row.save()
    member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)
    ordinary = member_in(RfmGroup.ORDINARY_WINBACK, store=store_a, guide=guide_a)

    lifecycle_rules_run(on=ON)

    assert not CallbackTask.objects.exists()
    assert [m[0] for m in messages()] == [ordinary.pk]


# --- Personal tasks -----------------------------------------------------------------------------


def test_important_retention_and_winback_members_get_a_task_for_their_guide(
    rules, store_a, guide_a, manager_a
):
    retention = member_in(RfmGroup.IMPORTANT_RETENTION, store=store_a, guide=guide_a)
    winback_unbound = member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a)
    for group in (
        RfmGroup.IMPORTANT_VALUE,
        RfmGroup.IMPORTANT_DEVELOPMENT,
        RfmGroup.ORDINARY_VALUE,
    ):
        member_in(group, store=store_a, guide=guide_a)

    lifecycle_rules_run(on=ON)

    due = ON + timedelta(days=rules.personal_due_days)
    assert tasks_of() == sorted(
        [(retention.pk, guide_a.pk, ON, due), (winback_unbound.pk, manager_a.pk, ON, due)]
    )
    plan = CallbackPlan.objects.get()
    assert (plan.target_kind, plan.store, plan.status) == (
        PlanTarget.LIFECYCLE,
        None,
        PlanStatus.ACTIVE,
    )
    assert (plan.starts_on, plan.name, plan.task_count) == (
        date(2026, 7, 1),
        lifecycle_plan_name(ON),
        2,
    )
    assert plan.name == "生命周期回访 2026年7月" and plan.script == rules.personal_script
    assert CallbackTask.objects.get(member=retention).status == TaskStatus.PENDING


def test_tasks_reach_every_store(rules, store_a, store_b, guide_a, guide_b):
    a = member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)
    b = member_in(RfmGroup.IMPORTANT_WINBACK, store=store_b, guide=guide_b)

    lifecycle_rules_run(on=ON)

    assert {(t[0], t[1]) for t in tasks_of()} == {(a.pk, guide_a.pk), (b.pk, guide_b.pk)}
    assert CallbackTask.objects.get(member=b).store == store_b


def test_a_member_called_within_the_last_n_days_gets_no_task(rules, store_a, guide_a):
    recent = member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)
    called(recent, days_ago=rules.personal_quiet_days, store_guide=guide_a)
    earlier = member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)
    called(earlier, days_ago=rules.personal_quiet_days + 1, store_guide=guide_a)

    lifecycle_rules_run(on=ON)

    assert [t[0] for t in tasks_of()] == [earlier.pk]


def test_a_member_on_an_open_task_elsewhere_gets_no_second_one(rules, store_a, guide_a):
    busy = member_in(RfmGroup.IMPORTANT_RETENTION, store=store_a, guide=guide_a)
    CallbackTaskFactory(member=busy)

    lifecycle_rules_run(on=ON)

    assert tasks_of() == []


def test_opted_out_members_get_no_task(rules, store_a, guide_a):
    member_in(RfmGroup.IMPORTANT_RETENTION, store=store_a, guide=guide_a, marketing_opt_out=True)

    lifecycle_rules_run(on=ON)

    assert tasks_of() == []


@pytest.mark.parametrize(("days", "approached"), [(0, False), (1, False), (15, False), (16, True)])
def test_nobody_in_the_care_window_is_approached(rules, store_a, guide_a, days, approached):
    important = member_in(
        RfmGroup.IMPORTANT_RETENTION, store=store_a, guide=guide_a, bought_days_ago=days
    )
    ordinary = member_in(
        RfmGroup.ORDINARY_RETENTION, store=store_a, guide=guide_a, bought_days_ago=days
    )

    lifecycle_rules_run(on=ON)

    assert bool(tasks_of()) is approached and bool(messages()) is approached
    if approached:
        assert tasks_of()[0][0] == important.pk and messages()[0][0] == ordinary.pk


def test_the_next_night_in_the_same_month_adds_only_new_members(rules, store_a, guide_a):
    first = member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)
    lifecycle_rules_run(on=ON)
    second = member_in(RfmGroup.IMPORTANT_RETENTION, store=store_a, guide=guide_a)

    lifecycle_rules_run(on=ON + timedelta(days=1))

    plan = CallbackPlan.objects.get()
    assert [t[0] for t in tasks_of()] == sorted([first.pk, second.pk])
    assert plan.task_count == 2
    assert plan.due_on >= ON + timedelta(days=1 + rules.personal_due_days)


def test_a_new_month_has_its_own_plan(rules, store_a, guide_a):
    member = member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)
    lifecycle_rules_run(on=ON)
    task = CallbackTask.objects.get(member=member)
    # Called and done in July, long enough ago by mid-August.
    CallbackTask.objects.filter(pk=task.pk).update(
        status=TaskStatus.DECLINED,
        next_call_on=None,
        last_called_at=datetime.combine(ON, time(11), tzinfo=SHANGHAI),
    )
    august = date(2026, 8, 20)
    member.rfm.as_of = august - timedelta(days=1)
    member.rfm.save()

    lifecycle_rules_run(on=august)

    assert list(CallbackPlan.objects.order_by("starts_on").values_list("starts_on", flat=True)) == [
        date(2026, 7, 1),
        date(2026, 8, 1),
    ]
    assert CallbackTask.objects.filter(member=member).count() == 2


def test_a_closed_month_plan_gets_no_more_tasks(rules, store_a, guide_a):
    member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)
    lifecycle_rules_run(on=ON)
    CallbackPlan.objects.update(status=PlanStatus.CLOSED)
    member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)

    lifecycle_rules_run(on=ON + timedelta(days=1))

    assert CallbackTask.objects.count() == 1


def test_the_lifecycle_plan_cannot_be_started_by_hand(rules, store_a, guide_a):
    plan = CallbackPlan.objects.create(
        name="x", purpose="x", script="x", target_kind=PlanTarget.LIFECYCLE,
        starts_on=date(2026, 9, 1), due_on=date(2099, 9, 30),
    )  # fmt: skip

    with pytest.raises(RuleViolation) as refused:
        plan_activate(plan=plan, actor=HqAdminFactory())

    assert refused.value.code == "plan_lifecycle_manual"


# --- Automated messages -------------------------------------------------------------------------


def test_ordinary_members_get_the_sms_of_their_group(rules, store_a, guide_a):
    retention = member_in(RfmGroup.ORDINARY_RETENTION, store=store_a, guide=guide_a, name="王芳")
    winback = member_in(RfmGroup.ORDINARY_WINBACK, store=store_a, name="李娜")
    member_in(RfmGroup.ORDINARY_DEVELOPMENT, store=store_a, guide=guide_a)
    member_in(RfmGroup.ORDINARY_VALUE, store=store_a, guide=guide_a)

    lifecycle_rules_run(on=ON)

    retention_body = rules.retention_sms_template.replace("{name}", "王芳")
    winback_body = rules.winback_sms_template.replace("{name}", "李娜")
    assert messages() == sorted(
        [
            (retention.pk, MessageKind.LIFECYCLE_MESSAGE, ON, Channel.SMS, True, retention_body,
             RfmGroup.ORDINARY_RETENTION),
            (winback.pk, MessageKind.LIFECYCLE_MESSAGE, ON, Channel.SMS, True, winback_body,
             RfmGroup.ORDINARY_WINBACK),
        ]
    )  # fmt: skip
    assert retention_body.startswith("【私域优选】王芳您好") and "回复TD退订" in retention_body
    assert not CallbackTask.objects.exists()


def test_opted_out_members_get_no_message_and_the_sender_checks_again(rules, store_a):
    member_in(RfmGroup.ORDINARY_WINBACK, store=store_a, marketing_opt_out=True)
    later = member_in(RfmGroup.ORDINARY_WINBACK, store=store_a)

    lifecycle_rules_run(on=ON)
    later.marketing_opt_out = True
    later.save(update_fields=["marketing_opt_out"])
    outbox_send_due(now=datetime.combine(ON, time(10), tzinfo=SHANGHAI))

    message = OutboxMessage.objects.get()
    assert message.member == later and message.status == OutboxStatus.SKIPPED


@pytest.mark.parametrize(("days_ago", "again"), [(1, False), (29, False), (30, True)])
def test_at_most_one_message_per_member_in_the_interval(rules, store_a, days_ago, again):
    member = member_in(RfmGroup.ORDINARY_RETENTION, store=store_a)
    lifecycle_rules_run(on=ON - timedelta(days=days_ago))

    lifecycle_rules_run(on=ON)

    expected = [ON - timedelta(days=days_ago), ON] if again else [ON - timedelta(days=days_ago)]
    assert sorted(
        OutboxMessage.objects.filter(member=member).values_list("due_date", flat=True)
    ) == (expected)


def test_a_broken_template_fails_the_run_before_anything_is_written(rules, store_a, guide_a):
    LifecycleSettings.objects.update(winback_sms_template="{name}您好，回来看看吧")
    member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)
    member_in(RfmGroup.ORDINARY_WINBACK, store=store_a, guide=guide_a)

    with pytest.raises(RuleViolation) as refused:
        lifecycle_rules_run(on=ON)

    assert refused.value.code == "lifecycle_template_invalid"
    assert "品牌签名" in str(refused.value.message)
    assert JobRun.objects.get(job="callbacks.lifecycle").status == JobStatus.FAILED
    assert not CallbackTask.objects.exists() and not OutboxMessage.objects.exists()


def test_a_day_in_the_future_is_refused(rules):
    with pytest.raises(RuleViolation) as refused:
        lifecycle_rules_run(on=timezone.localdate() + timedelta(days=1))

    assert refused.value.code == "lifecycle_date_in_future"


# --- Re-runs ------------------------------------------------------------------------------------


@pytest.fixture
def population(rules, store_a, store_b, guide_a, guide_b, manager_a):
    """Members of every group in two stores, some excluded for each reason."""
    members = []
    for n in range(14):
        group = RfmGroup.values[n % 8]
        store, guide = (store_a, guide_a) if n % 2 else (store_b, guide_b)
        members.append(member_in(group, store=store, guide=guide if n % 3 else None))
    StoreManagerFactory(store=store_b)
    member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a, bought_days_ago=3)
    member_in(RfmGroup.ORDINARY_WINBACK, store=store_a, marketing_opt_out=True)
    return members


def test_a_re_run_of_the_same_date_writes_nothing(population):
    lifecycle_rules_run(on=ON, chunk_size=3)
    before = state()
    assert before["tasks"] and before["messages"]

    again = lifecycle_rules_run(on=ON, chunk_size=3)
    JobRun.objects.all().delete()  # a fresh run of the same date
    fresh = lifecycle_rules_run(on=ON, chunk_size=3)

    assert again.status == fresh.status == JobStatus.FINISHED
    assert fresh.detail == {"rows": 0}
    assert state() == before


class FailOnce:
    def __init__(self, function, at=1):
        self.function, self.at, self.calls = function, at, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise RuntimeError("worker lost")
        return self.function(*args, **kwargs)


def _clean():
    OutboxMessage.objects.all().delete()
    CallbackTask.objects.all().delete()
    CallbackPlan.objects.filter(target_kind=PlanTarget.LIFECYCLE).delete()
    JobRun.objects.all().delete()


def test_an_interrupted_run_resumes_to_the_clean_result(population, monkeypatch):
    # given: the second chunk dies after writing its tasks, before its messages
    failing = FailOnce(lifecycle._automated_messages, at=2)
    monkeypatch.setattr(lifecycle, "_automated_messages", failing)
    with pytest.raises(RuntimeError):
        lifecycle_rules_run(on=ON, chunk_size=3)
    run = JobRun.objects.get(job="callbacks.lifecycle")
    assert run.status == JobStatus.FAILED and "worker lost" in run.error
    # when
    resumed = lifecycle_rules_run(on=ON, chunk_size=3)
    after_resume = state()
    # then
    assert resumed.status == JobStatus.FINISHED
    assert JobChunk.objects.filter(attempts=2).count() == 1
    _clean()
    lifecycle_rules_run(on=ON, chunk_size=3)
    assert state() == after_resume


def test_chunk_sizes_give_identical_results(population):
    results = []
    for size in (1, 4, 50_000):
        _clean()
        lifecycle_rules_run(on=ON, chunk_size=size)
        results.append(state())
    assert results[0] == results[1] == results[2]


# --- The morning task ---------------------------------------------------------------------------


def test_the_morning_task_waits_for_the_regroup(
    rules, store_a, guide_a, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=guide_a)

    with pytest.raises(Retry):
        tasks.lifecycle_nightly.apply(throw=True)
    assert not CallbackTask.objects.exists()

    RfmRunFactory(business_date=today - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.lifecycle_nightly.apply(throw=True).get() == today.isoformat()
    assert CallbackTask.objects.count() == 1


def test_a_guide_in_another_store_never_gets_the_task(rules, store_a, store_b, manager_a):
    # A member bound to a guide of another store (a data slip): the home store's manager calls.
    outsider = GuideFactory(store=store_b)
    member = member_in(RfmGroup.IMPORTANT_WINBACK, store=store_a, guide=outsider)

    lifecycle_rules_run(on=ON)

    assert CallbackTask.objects.get(member=member).assignee == manager_a
