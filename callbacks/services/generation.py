"""Turning a plan into each store's worklist: a chunked, idempotent job (INV-JOB-RERUN).

One JobRun per plan (job "callbacks.generate", subject the plan's id, business date the local day
it was activated, which is also the day its segment is evaluated as of) and one chunk per
member-id range of its targets, on the `jobs.sweeps` primitives. Each chunk, in its transaction:

1. sorts its targets by the first exclusion reason that applies (`exclusion_expression`), in one
   aggregate query, and adds the counts to the plan;
2. writes one task per remaining member in ONE `INSERT ... SELECT ... ON CONFLICT (plan, member)
   DO NOTHING`, with its assignee and priority computed by the database (services.assignment).

So a re-run finds its chunks finished and writes nothing, a chunk killed half-way leaves nothing
behind, and no member ever gets two tasks in one plan.
"""

import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from jobs.dates import last_days_window
from jobs.models import JobRun
from jobs.services import id_ranges
from jobs.sweeps import Dispatch, Sweep, sweep_chunk_run, sweep_start
from members.models import Order
from members.segments.conditions_rfm import days_since_purchase_q
from members.segments.phases import PHASE_DAYS, PurchasePhase

from ..models import CallbackPlan, CallbackTask, ExclusionReason, PlanStatus, TaskStatus
from .assignment import assignee_expression, priority_expression
from .targets import plan_targets

JOB = "callbacks.generate"
INSERT_COLUMNS = (
    "plan", "member", "store", "assignee", "priority", "status", "next_call_on", "due_on",
    "attempts", "note", "created_at", "updated_at",
)  # fmt: skip


def bought_in_care_window(*, today: datetime.date, member_ref: str = "pk") -> Exists:
    """The member (OuterRef(member_ref)) has a counted order paid within the care window, local
    days today-15 .. today, read from the orders themselves. One EXISTS per row on the index
    order_member_figures: a list is flagged in its own query."""
    since, until = last_days_window(days=PHASE_DAYS[PurchasePhase.CARE].high, today=today)
    orders = Order.objects.counted().filter(
        member_id=OuterRef(member_ref), paid_at__gte=since, paid_at__lt=until
    )
    return Exists(orders)


def in_care_window_q(*, today: datetime.date) -> Q:
    """Bought within the care window (DOMAIN.md: care only, no selling): purchase phase 关怀 by
    the last regroup's purchase date, or a counted order paid in the window since (the regroup
    runs at night, so a purchase made on the day a plan starts is only in the orders)."""
    care = PHASE_DAYS[PurchasePhase.CARE]
    by_regroup = days_since_purchase_q(care.low, care.high, today=today)
    return by_regroup | Q(bought_in_care_window(today=today))


def _reasons(plan: CallbackPlan, *, today: datetime.date) -> list[tuple[str, Q]]:
    """(reason, filter) in the order they are checked; the first that applies is counted."""
    others = CallbackTask.objects.exclude(plan_id=plan.pk).filter(member_id=OuterRef("pk"))
    reasons = [(ExclusionReason.OPTED_OUT, Q(marketing_opt_out=True))]
    if plan.respect_care_window:
        reasons.append((ExclusionReason.CARE_WINDOW, in_care_window_q(today=today)))
    if plan.cooldown_days:
        since, _end = last_days_window(days=plan.cooldown_days, today=today)
        reasons.append(
            (ExclusionReason.COOLDOWN, Q(Exists(others.filter(last_called_at__gte=since))))
        )
    open_elsewhere = others.open().filter(plan__status=PlanStatus.ACTIVE)
    reasons.append((ExclusionReason.OPEN_ELSEWHERE, Q(Exists(open_elsewhere))))
    reasons.append((ExclusionReason.NO_ASSIGNEE, Q(assignee_ref__isnull=True)))
    return reasons


def plan_candidates(plan: CallbackPlan, members: QuerySet, *, today: datetime.date) -> QuerySet:
    """`members` annotated with their assignee (`assignee_ref`), their priority and the first
    reason that excludes them (`exclusion`, "" for none)."""
    whens = [When(q, then=Value(reason.value)) for reason, q in _reasons(plan, today=today)]
    return members.annotate(assignee_ref=assignee_expression()).annotate(
        exclusion=Case(*whens, default=Value(""), output_field=CharField()),
        priority_ref=priority_expression(plan),
    )


def plan_tasks_generate(
    *, plan: CallbackPlan, chunk_size: int | None = None, dispatch: Dispatch | None = None
) -> JobRun:
    """Make the plan's tasks, or resume making them (an active plan only)."""
    return sweep_start(
        GENERATION,
        business_date=generation_date(plan),
        subject=str(plan.pk),
        chunk_size=chunk_size or settings.CALLBACK_CHUNK_SIZE,
        dispatch=dispatch,
    )


def plan_chunk_run(*, chunk_id: int, dispatch: Dispatch | None = None) -> bool:
    return sweep_chunk_run(GENERATION, chunk_id=chunk_id, dispatch=dispatch)


def generation_date(plan: CallbackPlan) -> datetime.date:
    return timezone.localdate(plan.activated_at)


def generation_run(plan: CallbackPlan) -> JobRun | None:
    if plan.activated_at is None:
        return None
    return JobRun.objects.filter(
        job=JOB, subject=str(plan.pk), business_date=generation_date(plan)
    ).first()


def _plan_of(run: JobRun) -> CallbackPlan:
    return CallbackPlan.objects.get(pk=int(run.subject))


def _ranges(run: JobRun, chunk_size: int) -> list[tuple[int, int]]:
    plan = _plan_of(run)
    if plan.status != PlanStatus.ACTIVE:
        return []
    return id_ranges(plan_targets(plan, today=run.business_date), chunk_size)


def _generate_range(run: JobRun, lo: int, hi: int) -> int:
    plan = CallbackPlan.objects.select_for_update().get(pk=int(run.subject))
    if plan.status != PlanStatus.ACTIVE:
        return 0
    targets = plan_targets(plan, today=run.business_date).filter(pk__gte=lo, pk__lt=hi)
    candidates = plan_candidates(plan, targets, today=run.business_date)
    excluded = _exclusions_count(candidates)
    written = plan_tasks_insert(plan, candidates.filter(exclusion=""))
    _counts_add(plan, written, excluded)
    return written


def _exclusions_count(candidates: QuerySet) -> dict[str, int]:
    rows = candidates.exclude(exclusion="").order_by().values("exclusion").annotate(n=Count("pk"))
    return {row["exclusion"]: row["n"] for row in rows}


def plan_tasks_insert(
    plan: CallbackPlan,
    eligible: QuerySet,
    *,
    next_call_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
) -> int:
    """One pending task of `plan` per member of `eligible` (annotated by `plan_candidates`), in
    one INSERT ... SELECT; a member who has one already is skipped. The first call is on the
    plan's start and the task is due on the plan's due date unless given. Returns the rows
    written."""
    ops, meta = connection.ops, CallbackTask._meta
    rows = eligible.order_by("pk").values(
        "assignee_ref", "priority_ref", member_ref=F("pk"), store_ref=F("home_store_id")
    )
    select_sql, select_params = rows.query.sql_with_params()
    columns = ", ".join(ops.quote_name(meta.get_field(name).column) for name in INSERT_COLUMNS)
    sql = (
        f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) "
        "SELECT %s, e.member_ref, e.store_ref, e.assignee_ref, e.priority_ref, %s, %s, %s, 0, '', "
        f"%s, %s FROM ({select_sql}) AS e WHERE true "  # WHERE: lets SQLite parse the ON CONFLICT
        "ON CONFLICT (plan_id, member_id) DO NOTHING"
    )
    now = ops.adapt_datetimefield_value(timezone.now())
    values = [
        plan.pk,
        TaskStatus.PENDING.value,
        ops.adapt_datefield_value(next_call_on or plan.starts_on),
        ops.adapt_datefield_value(due_on or plan.due_on),
        now,
        now,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *select_params])
        return max(cursor.rowcount, 0)


def _counts_add(plan: CallbackPlan, written: int, excluded: dict[str, int]) -> None:
    """Called under the plan's row lock, in the chunk's transaction."""
    for reason, count in excluded.items():
        plan.excluded[reason] = plan.excluded.get(reason, 0) + count
    plan.task_count += written
    plan.save(update_fields=["task_count", "excluded", "updated_at"])


GENERATION = Sweep(job=JOB, ranges=_ranges, work=_generate_range)
