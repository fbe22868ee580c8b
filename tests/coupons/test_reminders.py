"""Morning expiry reminders: one outbox message per member and day covering all their coupons,
each coupon reminded once ever, nothing for opted-out members, re-runs write nothing, an
interrupted run resumes to the clean result (INV-NO-DUP-MESSAGE, INV-JOB-RERUN)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coupons import tasks
from coupons.models import Coupon, CouponSettings, CouponStatus
from coupons.services import reminders
from coupons.services.reminder_sql import reminder_body
from coupons.services.reminders import coupon_reminders_enqueue
from jobs.models import JobChunk, JobRun, JobStatus
from members.errors import RuleViolation
from messaging.models import Channel, MessageKind, OutboxMessage, OutboxStatus
from tests.coupons.factories import CouponFactory, IssueBatchFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
N = 3  # CouponSettings.reminder_days_before, the default


def ending(last_day, member, face="30.00", **fields):
    """An unused coupon of `member`, usable since well before today, last valid on `last_day`."""
    return CouponFactory(
        member=member,
        valid_from=min(last_day, TODAY) - timedelta(days=10),
        valid_until=last_day,
        face_value=Decimal(face),
        **fields,
    )


def day(n: int):
    return TODAY + timedelta(days=n)


def outbox():
    """Every message as (member, kind, due date, channel, marketing, status, coupon ids, body)."""
    return sorted(
        (
            m.member_id,
            m.kind,
            m.due_date,
            m.channel,
            m.marketing,
            m.status,
            sorted(m.payload["coupon_ids"]),
            m.body,
        )
        for m in OutboxMessage.objects.all()
    )


def state():
    return {
        "outbox": outbox(),
        "reminded": sorted(Coupon.objects.values_list("pk", "reminded_on")),
    }


def writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


def test_a_member_with_three_coupons_gets_one_message_covering_them_all():
    # given: three coupons ending within the next three days
    member = MemberFactory(name="王芳")
    coupons = [
        ending(day(3), member, "30.00"),
        ending(day(1), member, "20.00"),
        ending(day(2), member, "12.50"),
    ]
    # when
    run = coupon_reminders_enqueue(on=TODAY)
    # then
    message = OutboxMessage.objects.get()
    assert (message.member, message.kind, message.due_date) == (
        member,
        MessageKind.COUPON_EXPIRY,
        TODAY,
    )
    assert (message.channel, message.marketing, message.status) == (
        Channel.SMS,
        True,
        OutboxStatus.PENDING,
    )
    assert sorted(message.payload["coupon_ids"]) == sorted(c.pk for c in coupons)
    earliest = day(1)
    assert message.body == (
        f"【私域优选】王芳您好，您有3张优惠券（共62.50元）将于{earliest.month}月{earliest.day}日"
        "到期，欢迎到店使用。回复TD退订"
    )
    assert set(Coupon.objects.values_list("reminded_on", flat=True)) == {TODAY}
    assert (run.job, run.business_date, run.status) == ("coupons.remind", TODAY, "finished")


def test_only_unused_usable_coupons_ending_within_the_window_are_reminded():
    # given
    member = MemberFactory()
    due = [ending(day(0), member), ending(day(N), member)]
    ending(day(N + 1), member)  # not yet
    ending(day(-1), member)  # past its last day
    ending(day(2), member, status=CouponStatus.REDEEMED)
    ending(day(2), member, status=CouponStatus.VOIDED)
    CouponFactory(member=member, valid_from=day(1), valid_until=day(2))  # not usable yet
    # when
    coupon_reminders_enqueue(on=TODAY)
    # then
    assert sorted(OutboxMessage.objects.get().payload["coupon_ids"]) == sorted(c.pk for c in due)
    assert sorted(Coupon.objects.filter(reminded_on=TODAY).values_list("pk", flat=True)) == sorted(
        c.pk for c in due
    )


def test_each_member_gets_their_own_message():
    # given
    first, second = MemberFactory(), MemberFactory()
    ending(day(1), first)
    ending(day(2), second)
    ending(day(2), second)
    # when
    coupon_reminders_enqueue(on=TODAY, chunk_size=1)
    # then
    counts = {m.member_id: len(m.payload["coupon_ids"]) for m in OutboxMessage.objects.all()}
    assert counts == {first.pk: 1, second.pk: 2}


def test_rerun_of_the_same_day_enqueues_nothing():
    # given
    for _ in range(3):
        ending(day(2), MemberFactory())
    coupon_reminders_enqueue(on=TODAY, chunk_size=2)
    before = state()
    # when
    with CaptureQueriesContext(connection) as queries:
        coupon_reminders_enqueue(on=TODAY, chunk_size=1)
    # then
    assert writes(queries.captured_queries) == []
    assert state() == before and len(before["outbox"]) == 3


def test_a_fresh_run_of_the_same_day_cannot_enqueue_twice():
    """Even with its job record gone, the coupons' marks and the outbox's unique constraint hold."""
    # given
    member = MemberFactory()
    ending(day(2), member)
    coupon_reminders_enqueue(on=TODAY)
    JobRun.objects.all().delete()
    Coupon.objects.update(reminded_on=None)
    # when
    coupon_reminders_enqueue(on=TODAY)
    # then
    assert OutboxMessage.objects.filter(member=member).count() == 1


def test_a_coupon_is_reminded_once_ever():
    # given: reminded yesterday, still inside the window today
    member = MemberFactory()
    old = ending(day(2), member)
    coupon_reminders_enqueue(on=day(-1))
    # and a coupon issued since
    new = ending(day(1), member)
    # when
    coupon_reminders_enqueue(on=TODAY)
    # then
    messages = {m.due_date: m.payload["coupon_ids"] for m in OutboxMessage.objects.all()}
    assert messages == {day(-1): [old.pk], TODAY: [new.pk]}
    assert Coupon.objects.get(pk=old.pk).reminded_on == day(-1)


def test_a_day_without_a_new_coupon_writes_no_message():
    member = MemberFactory()
    ending(day(2), member)
    coupon_reminders_enqueue(on=day(-1))
    coupon_reminders_enqueue(on=TODAY)
    assert list(OutboxMessage.objects.values_list("due_date", flat=True)) == [day(-1)]


def test_an_opted_out_member_gets_nothing_and_their_coupons_stay_unmarked():
    # given
    opted_out = MemberFactory(marketing_opt_out=True)
    coupon = ending(day(1), opted_out)
    # when
    run = coupon_reminders_enqueue(on=TODAY)
    # then
    assert not OutboxMessage.objects.exists()
    assert Coupon.objects.get(pk=coupon.pk).reminded_on is None
    assert run.status == JobStatus.FINISHED


def test_a_member_who_opts_back_in_is_reminded_the_next_morning_once():
    # given: opted out yesterday morning
    member = MemberFactory(marketing_opt_out=True)
    coupon = ending(day(2), member)
    coupon_reminders_enqueue(on=day(-1))
    # when: consent given again, and today's run (twice)
    member.marketing_opt_out = False
    member.save()
    coupon_reminders_enqueue(on=TODAY)
    coupon_reminders_enqueue(on=TODAY)
    # then
    assert list(OutboxMessage.objects.values_list("due_date", "payload")) == [
        (TODAY, {"coupon_ids": [coupon.pk]})
    ]


def test_the_template_comes_from_the_coupon_settings():
    # given
    row = CouponSettings.current()
    row.reminder_sms_template = (
        "{name}：{count}张券共{face_total}元，最早{valid_until}到期。回复TD退订【私域优选】"
    )
    row.reminder_days_before = 5
    row.save()
    member = MemberFactory(name="李雷")
    ending(day(5), member, "100.00")
    ending(day(5), member, "50.00")
    # when
    coupon_reminders_enqueue(on=TODAY)
    # then
    last = day(5)
    assert OutboxMessage.objects.get().body == (
        f"李雷：2张券共150元，最早{last.month}月{last.day}日到期。回复TD退订【私域优选】"
    )


@pytest.mark.parametrize(
    ("faces", "total"),
    [
        (["30.00"], "30"),
        (["30.00", "20.00", "10.00"], "60"),
        (["12.50", "10.00"], "22.50"),
        (["0.10", "0.20"], "0.30"),
        (["99.99"], "99.99"),
        (["10.10", "19.90"], "30"),
        (["0.01", "1000.00"], "1000.01"),
    ],
)
def test_the_database_renders_the_body_as_the_python_renderer_does(faces, total):
    # given: a template with text that looks like SQL or format syntax
    row = CouponSettings.current()
    row.reminder_sms_template = (
        "【私域优选】{name} 100%%的'券'{{x}}：{count}/{face_total}/{valid_until}。回复TD退订"
    )
    row.save()
    member = MemberFactory(name="O'Brien %s")
    for face in faces:
        ending(day(2), member, face)
    # when
    coupon_reminders_enqueue(on=TODAY)
    # then
    expected = reminder_body(
        row.reminder_sms_template,
        name="O'Brien %s",
        count=len(faces),
        face_total=sum(Decimal(face) for face in faces),
        valid_until=day(2),
    )
    assert OutboxMessage.objects.get().body == expected
    assert f"/{total}/" in expected


class FailOnce:
    def __init__(self, function, at=1):
        self.function, self.at, self.calls = function, at, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise RuntimeError("worker lost")
        return self.function(*args, **kwargs)


@pytest.fixture
def many_members():
    batch = IssueBatchFactory()
    members = [MemberFactory() for _ in range(7)]
    for n, member in enumerate(members):
        for offset in range(1 + n % 3):
            ending(day(offset), member, batch=IssueBatchFactory() if offset else batch)
    return members


def test_an_interrupted_run_resumes_to_the_clean_result(many_members, monkeypatch):
    # given: the third chunk fails after marking its coupons, inside its transaction
    insert = FailOnce(reminders.reminder_messages_insert, at=3)
    monkeypatch.setattr(reminders, "reminder_messages_insert", insert)
    with pytest.raises(RuntimeError):
        coupon_reminders_enqueue(on=TODAY, chunk_size=2)
    run = JobRun.objects.get(job="coupons.remind")
    assert run.status == JobStatus.FAILED and "worker lost" in run.error
    assert 0 < OutboxMessage.objects.count() < len(many_members)
    # when
    resumed = coupon_reminders_enqueue(on=TODAY, chunk_size=2)
    after_resume = state()
    # then
    assert resumed.status == JobStatus.FINISHED
    assert JobChunk.objects.filter(attempts=2).count() == 1
    OutboxMessage.objects.all().delete()
    Coupon.objects.update(reminded_on=None)
    JobRun.objects.all().delete()
    coupon_reminders_enqueue(on=TODAY, chunk_size=2)
    assert after_resume == state()
    assert len(after_resume["outbox"]) == len(many_members)


def test_chunk_sizes_give_identical_results(many_members):
    results = []
    for size in (1, 3, 50_000):
        OutboxMessage.objects.all().delete()
        Coupon.objects.update(reminded_on=None)
        JobRun.objects.all().delete()
        coupon_reminders_enqueue(on=TODAY, chunk_size=size)
        results.append(state())
    assert results[0] == results[1] == results[2]
    assert len(results[0]["outbox"]) == len(many_members)  # and each run did write them


def test_a_template_saved_around_the_validator_fails_the_run_before_marking_anything():
    # given
    CouponSettings.current()
    CouponSettings.objects.update(reminder_sms_template="{name}您好，券快到期了。")
    ending(day(1), MemberFactory())
    # when
    with pytest.raises(RuleViolation) as refused:
        coupon_reminders_enqueue(on=TODAY)
    # then
    assert refused.value.code == "coupon_reminder_template_invalid"
    assert "缺少品牌签名" in refused.value.message and "缺少退订提示" in refused.value.message
    run = JobRun.objects.get(job="coupons.remind")
    assert run.status == JobStatus.FAILED and "缺少品牌签名" in run.error
    assert not OutboxMessage.objects.exists()
    assert not Coupon.objects.filter(reminded_on__isnull=False).exists()


def test_a_day_in_the_future_is_refused():
    with pytest.raises(RuleViolation) as refused:
        coupon_reminders_enqueue(on=day(1))
    assert refused.value.code == "coupon_remind_date_in_future"
    assert not JobRun.objects.exists()


def test_the_morning_task_reminds_for_today(django_capture_on_commit_callbacks):
    # given
    member = MemberFactory()
    ending(day(2), member)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        tasks.remind_nightly.delay()
    # then
    assert OutboxMessage.objects.get().due_date == TODAY
    assert JobRun.objects.get(job="coupons.remind").status == JobStatus.FINISHED


def test_the_start_task_runs_chunks_through_celery(
    many_members, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.remind_start.delay(TODAY.isoformat())
    assert OutboxMessage.objects.count() == len(many_members)
