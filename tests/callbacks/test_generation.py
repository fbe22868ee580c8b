"""Plan generation: one task per member and plan, assigned to the bound guide or the store
manager, in the plan's calling order; exclusions counted with their reason; re-runs and
interrupted runs end as a clean run would (INV-JOB-RERUN)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from callbacks.models import CallbackTask, ExclusionReason, PlanStatus, PriorityOrder, TaskStatus
from callbacks.selectors import plan_preview
from callbacks.services.generation import (
    plan_chunk_run,
    plan_tasks_generate,
)
from callbacks.services.plans import plan_activate
from jobs.dates import local_day_start
from jobs.models import JobChunk, JobStatus
from members.models import RfmGroup
from tests.callbacks.factories import CallbackPlanFactory, CallbackTaskFactory
from tests.members.factories import (
    GuideFactory,
    HqAdminFactory,
    MemberFactory,
    MemberRfmFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    StoreFactory,
    StoreManagerFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return StoreFactory()


@pytest.fixture
def manager(store):
    return StoreManagerFactory(store=store)


@pytest.fixture
def guide(store):
    return GuideFactory(store=store)


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    """The tasks are made by a Celery task enqueued on commit (eager in tests): `_active` runs
    what the activation enqueued, as the commit would."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def _active(plan, actor):
    with _capture(execute=True):
        plan_activate(plan=plan, actor=actor)
    plan.refresh_from_db()
    return plan


def _tasks(plan):
    return list(CallbackTask.objects.filter(plan=plan).order_by("member_id"))


def test_activating_a_plan_makes_one_task_per_member_for_the_bound_guide(store, manager, guide):
    bound = MemberFactory(home_store=store, guide=guide)
    unbound = MemberFactory(home_store=store)
    hq = HqAdminFactory()

    plan = _active(CallbackPlanFactory(), hq)

    tasks = {task.member_id: task for task in _tasks(plan)}
    assert tasks[bound.pk].assignee == guide
    assert tasks[unbound.pk].assignee == manager
    assert all(t.status == TaskStatus.PENDING and t.store == store for t in tasks.values())
    assert tasks[bound.pk].next_call_on == plan.starts_on and tasks[bound.pk].due_on == plan.due_on
    assert plan.task_count == 2 and plan.status == PlanStatus.ACTIVE


def test_an_inactive_guide_or_a_guide_of_another_store_hands_the_task_to_the_manager(
    store, manager
):
    gone = GuideFactory(store=store, is_active=False)
    elsewhere = GuideFactory()
    first = MemberFactory(home_store=store, guide=gone)
    second = MemberFactory(home_store=store, guide=elsewhere)

    plan = _active(CallbackPlanFactory(), HqAdminFactory())

    assert {t.member_id: t.assignee_id for t in _tasks(plan)} == {
        first.pk: manager.pk,
        second.pk: manager.pk,
    }


def test_exclusions_are_counted_with_the_first_reason_that_applies(store, manager, guide):
    today = timezone.localdate()
    hq = HqAdminFactory()
    MemberFactory(home_store=store, guide=guide, marketing_opt_out=True)
    in_care = MemberFactory(home_store=store, guide=guide)
    MemberRfmFactory(member=in_care, last_purchase_on=today - timedelta(days=15))
    after_care = MemberFactory(home_store=store, guide=guide)
    MemberRfmFactory(member=after_care, last_purchase_on=today - timedelta(days=16))
    called_lately = MemberFactory(home_store=store, guide=guide)
    CallbackTaskFactory(
        member=called_lately,
        status=TaskStatus.SUCCESSFUL,
        last_called_at=timezone.now() - timedelta(days=13),
    )
    called_long_ago = MemberFactory(home_store=store, guide=guide)
    CallbackTaskFactory(
        member=called_long_ago,
        status=TaskStatus.SUCCESSFUL,
        last_called_at=timezone.now() - timedelta(days=15),
    )
    open_elsewhere = MemberFactory(home_store=store, guide=guide)
    CallbackTaskFactory(member=open_elsewhere)
    orphan_store = StoreFactory()
    orphan = MemberFactory(home_store=orphan_store)
    segment_plan = CallbackPlanFactory(cooldown_days=14)

    plan = _active(segment_plan, hq)

    made = {task.member_id for task in _tasks(plan)}
    assert made == {after_care.pk, called_long_ago.pk}
    assert plan.excluded == {
        ExclusionReason.OPTED_OUT: 1,
        ExclusionReason.CARE_WINDOW: 1,
        ExclusionReason.COOLDOWN: 1,
        ExclusionReason.OPEN_ELSEWHERE: 1,
        ExclusionReason.NO_ASSIGNEE: 1,
    }
    assert orphan.pk not in made


def test_a_purchase_since_the_last_regroup_counts_for_the_care_window(store, guide):
    # given the last regroup saw no purchase in the window for any of them, but the orders do
    today = timezone.localdate()
    bought_today = MemberFactory(home_store=store, guide=guide)
    MemberRfmFactory(member=bought_today, last_purchase_on=today - timedelta(days=100))
    OrderFactory(member=bought_today, store=store, paid_at=timezone.now())
    refunded_today = MemberFactory(home_store=store, guide=guide)
    OrderFactory(member=refunded_today, store=store, paid_at=timezone.now(), refunded_amount=302)
    bought_16_days_ago = MemberFactory(home_store=store, guide=guide)
    OrderFactory(
        member=bought_16_days_ago,
        store=store,
        paid_at=local_day_start(today - timedelta(days=16)) + timedelta(hours=20),
    )

    # when a plan starts today
    plan = _active(CallbackPlanFactory(cooldown_days=0), HqAdminFactory())

    # then only the member who bought today is left out, counted as in the care window
    assert {t.member_id for t in _tasks(plan)} == {refunded_today.pk, bought_16_days_ago.pk}
    assert plan.excluded == {ExclusionReason.CARE_WINDOW: 1}


def test_a_plan_may_ignore_the_care_window_and_the_cooldown(store, guide):
    today = timezone.localdate()
    in_care = MemberFactory(home_store=store, guide=guide)
    MemberRfmFactory(member=in_care, last_purchase_on=today)
    called = MemberFactory(home_store=store, guide=guide)
    CallbackTaskFactory(member=called, status=TaskStatus.SUCCESSFUL, last_called_at=timezone.now())

    plan = _active(
        CallbackPlanFactory(respect_care_window=False, cooldown_days=0), HqAdminFactory()
    )

    assert {t.member_id for t in _tasks(plan)} == {in_care.pk, called.pk}


def test_easy_first_puts_buyers_of_promoted_products_first_then_the_groups(store, guide):
    promoted = ProductFactory(sku="PROMO")
    ordinary_buyer = MemberFactory(home_store=store, guide=guide)
    MemberRfmFactory(member=ordinary_buyer, group=RfmGroup.ORDINARY_WINBACK, last_purchase_on=None)
    # (bought a month ago: outside the care window, which the orders are read for too)
    month_ago = timezone.now() - timedelta(days=30)
    OrderLineFactory(
        order=OrderFactory(member=ordinary_buyer, store=store, paid_at=month_ago), product=promoted
    )
    valuable = MemberFactory(home_store=store, guide=guide)
    MemberRfmFactory(member=valuable, group=RfmGroup.IMPORTANT_VALUE, last_purchase_on=None)
    retention = MemberFactory(home_store=store, guide=guide)
    MemberRfmFactory(member=retention, group=RfmGroup.IMPORTANT_RETENTION, last_purchase_on=None)
    never = MemberFactory(home_store=store, guide=guide)
    refunded_buyer = MemberFactory(home_store=store, guide=guide)
    refunded = OrderFactory(
        member=refunded_buyer, store=store, refunded_amount=302, paid_at=month_ago
    )
    OrderLineFactory(order=refunded, product=promoted)
    plan = CallbackPlanFactory(priority_order=PriorityOrder.EASY_FIRST)
    plan.promoted_products.add(promoted)

    plan = _active(plan, HqAdminFactory())

    order = [task.member_id for task in CallbackTask.objects.filter(plan=plan)]
    assert order == [ordinary_buyer.pk, valuable.pk, retention.pk, never.pk, refunded_buyer.pk][
        :3
    ] + (sorted([never.pk, refunded_buyer.pk]))


def test_a_store_plan_reaches_only_its_own_store(store, manager, guide):
    own = MemberFactory(home_store=store, guide=guide)
    MemberFactory()  # another store's member
    plan = CallbackPlanFactory(store=store)

    plan = _active(plan, manager)

    assert [t.member_id for t in _tasks(plan)] == [own.pk]


def test_an_hq_plan_reaches_the_stores_and_regions_chosen(manager):
    chosen, in_region, outside = StoreFactory(), StoreFactory(), StoreFactory()
    for store in (chosen, in_region, outside):
        StoreManagerFactory(store=store)
    members = {store.pk: MemberFactory(home_store=store) for store in (chosen, in_region, outside)}
    plan = CallbackPlanFactory()
    plan.stores.add(chosen)
    plan.regions.add(in_region.region)

    plan = _active(plan, HqAdminFactory())

    made = {t.member_id for t in _tasks(plan)}
    assert made == {members[chosen.pk].pk, members[in_region.pk].pk}


def test_a_phone_list_plan_targets_those_members(store, guide):
    listed = MemberFactory(home_store=store, guide=guide, phone="13800000011")
    MemberFactory(home_store=store, guide=guide)
    plan = CallbackPlanFactory(target_kind="phones", segment=None, phones="13800000011\n")

    plan = _active(plan, HqAdminFactory())

    assert [t.member_id for t in _tasks(plan)] == [listed.pk]


def test_the_preview_says_what_each_store_and_guide_will_get_before_it_starts(
    store, manager, guide
):
    for _ in range(3):
        MemberFactory(home_store=store, guide=guide)
    MemberFactory(home_store=store)
    MemberFactory(home_store=store, guide=guide, marketing_opt_out=True)
    plan = CallbackPlanFactory()

    preview = plan_preview(plan, user=HqAdminFactory())

    assignees = {row.assignee: row.tasks for row in preview.rows}
    assert assignees == {guide.get_full_name() or guide.username: 3, manager.get_full_name(): 1}
    assert preview.per_store == {store.name: 4} and preview.total == 4
    assert preview.excluded == {str(ExclusionReason.OPTED_OUT.label): 1}
    assert not CallbackTask.objects.exists()


def test_a_store_managers_preview_of_an_hq_plan_counts_only_their_store(store, manager, guide):
    MemberFactory(home_store=store, guide=guide)
    other = StoreFactory()
    StoreManagerFactory(store=other)
    MemberFactory(home_store=other)

    preview = plan_preview(CallbackPlanFactory(), user=manager)

    assert preview.per_store == {store.name: 1}


def test_a_rerun_writes_nothing_and_an_interrupted_run_resumes(store, guide, settings):
    settings.CALLBACK_CHUNK_SIZE = 2
    members = [MemberFactory(home_store=store, guide=guide) for _ in range(5)]
    plan = CallbackPlanFactory(status=PlanStatus.ACTIVE, activated_at=timezone.now())
    planned = []
    run = plan_tasks_generate(plan=plan, dispatch=planned.extend)  # chunks planned, none run
    assert CallbackTask.objects.count() == 0 and len(planned) == 3

    plan_chunk_run(chunk_id=planned[0], dispatch=lambda ids: None)  # one chunk, then "killed"
    assert CallbackTask.objects.count() == 2

    run = plan_tasks_generate(plan=plan)  # resumed in-process
    run.refresh_from_db()
    assert run.status == JobStatus.FINISHED
    assert JobChunk.objects.filter(run=run, status=JobStatus.FINISHED).count() == 3
    before = list(CallbackTask.objects.values_list("pk", "member_id", "updated_at"))
    plan_tasks_generate(plan=plan)
    assert list(CallbackTask.objects.values_list("pk", "member_id", "updated_at")) == before
    plan.refresh_from_db()
    assert plan.task_count == 5 == len(members)


def test_a_draft_or_closed_plan_makes_no_tasks(store, guide):
    MemberFactory(home_store=store, guide=guide)
    plan = CallbackPlanFactory(status=PlanStatus.CLOSED, activated_at=timezone.now())

    plan_tasks_generate(plan=plan)

    assert not CallbackTask.objects.exists()


def test_the_segment_is_evaluated_on_the_activation_day(store, guide):
    today = timezone.localdate()
    new = MemberFactory(home_store=store, guide=guide, joined_at=today - timedelta(days=30))
    MemberFactory(home_store=store, guide=guide, joined_at=today - timedelta(days=31))
    plan = CallbackPlanFactory()
    plan.segment.rule = {
        "op": "and",
        "items": [{"type": "joined", "when": "within_days", "days": 30}],
    }
    plan.segment.save()

    plan = _active(plan, HqAdminFactory())

    assert [t.member_id for t in _tasks(plan)] == [new.pk]
