"""The funnel page and the store's progress: store managers see their guides, region managers
their region's stores, HQ everything in the admin, guides get 403; a period filter (this month,
last month, one plan); the nudge list names who is behind."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from callbacks.models import TaskStatus
from tests.callbacks.conftest import active_plan, yesterday
from tests.callbacks.factories import CallbackTaskFactory
from tests.members.factories import GuideFactory, MemberFactory, OrderFactory, StoreFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> dict[str, dict]:
    funnel = response.context["funnel"]
    return {row.label: row for row in funnel.rows}


@pytest.fixture
def worked(tasks_a, guide_a):
    """Guide A: one successful call converted on a 300-yuan order, one reached, one pending and
    overdue; the other guide: one pending."""
    (first, second, third), _theirs = tasks_a
    order = OrderFactory(store=first.store, member=first.member, amount=Decimal("300.00"))
    first.status, first.converted_order, first.converted_amount = (
        TaskStatus.SUCCESSFUL,
        order,
        Decimal("300.00"),
    )
    first.save()
    second.status = TaskStatus.REACHED
    second.save()
    third.due_on = yesterday()
    third.save()
    return tasks_a


def test_a_store_manager_sees_each_guide_side_by_side(client, manager_a, guide_a, worked, task_b):
    client.force_login(manager_a)

    response = client.get("/callbacks/funnel/")

    assert response.status_code == 200
    rows = _rows(response)
    assert set(rows) == {guide_a.first_name, "小周"}
    mine = rows[guide_a.first_name]
    assert (mine.to_call, mine.called, mine.reached, mine.successful) == (3, 2, 2, 1)
    assert (mine.converted, mine.converted_amount, mine.overdue) == (1, Decimal("300.00"), 1)
    body = response.content.decode()
    assert "66.7%" in body and "50.0%" in body and "¥300.00" in body
    assert "乙店" not in body


@pytest.mark.parametrize("by", ["plan", "store", "guide", "store_group", "region"])
def test_every_grouping_counts_only_the_users_scope(client, manager_a, worked, task_b, by):
    client.force_login(manager_a)
    response = client.get("/callbacks/funnel/", {"by": by})
    assert response.status_code == 200
    assert response.context["funnel"].total.to_call == 4


def test_the_period_picks_the_plans_that_start_in_it(client, manager_a, worked, store_a, guide_a):
    last_month = timezone.localdate().replace(day=1) - timedelta(days=3)
    old = active_plan(store_a, name="上月计划", starts_on=last_month)
    CallbackTaskFactory(plan=old, member=MemberFactory(home_store=store_a, guide=guide_a))
    client.force_login(manager_a)

    this_month = client.get("/callbacks/funnel/", {"by": "plan"})
    previous = client.get("/callbacks/funnel/", {"by": "plan", "period": "last_month"})
    one_plan = client.get("/callbacks/funnel/", {"period": "plan", "plan": old.pk, "by": "plan"})

    assert set(_rows(this_month)) == {"春季新品回访"}
    assert set(_rows(previous)) == {"上月计划"}
    assert set(_rows(one_plan)) == {"上月计划"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"by": "member"}, "请选择计划、门店、导购、店群或片区。"),
        ({"period": "forever"}, "请选择本月、上月或指定计划。"),
        ({"period": "plan"}, "请选择要查看的回访计划。"),
        ({"period": "plan", "plan": "x"}, "所选回访计划不存在或您无权查看。"),
        ({"period": "plan", "plan": "{plan_b}"}, "所选回访计划不存在或您无权查看。"),
    ],
)
def test_a_bad_filter_is_a_400_in_chinese(client, manager_a, task_b, params, message):
    client.force_login(manager_a)
    params = {k: v.format(plan_b=task_b.plan_id) for k, v in params.items()}
    response = client.get("/callbacks/funnel/", params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "乙店回访" not in response.content.decode()


def test_a_region_manager_sees_the_stores_of_their_region_only(
    client, region_manager, worked, task_b, region
):
    other_store = StoreFactory(region=region, name="同片区丙店")
    plan = active_plan(other_store)
    guide = GuideFactory(store=other_store)
    CallbackTaskFactory(plan=plan, member=MemberFactory(home_store=other_store, guide=guide))
    client.force_login(region_manager)

    response = client.get("/callbacks/funnel/")

    assert response.status_code == 200
    assert set(_rows(response)) == {"甲店", "同片区丙店"}


def test_guides_get_403_and_hq_goes_to_the_admin(client, guide_a, hq_admin):
    client.force_login(guide_a)
    assert client.get("/callbacks/funnel/").status_code == 403
    assert client.get("/callbacks/progress/").status_code == 403
    client.force_login(hq_admin)
    assert client.get("/callbacks/funnel/")["Location"] == "/admin/callbacks/callbackplan/funnel/"


def test_progress_names_who_is_behind(client, manager_a, guide_a, worked):
    client.force_login(manager_a)

    response = client.get("/callbacks/progress/")

    assert response.status_code == 200
    nudges = response.context["nudges"]
    assert [row.label for row in nudges] == [guide_a.first_name]
    body = response.content.decode()
    assert f'href="/callbacks/?guide={guide_a.pk}"' in body and "1 条逾期" in body


@pytest.mark.parametrize("guides", [1, 6])
def test_the_funnel_and_progress_query_counts_do_not_grow(
    client, manager_a, plan_a, guides, django_assert_max_num_queries
):
    for _ in range(guides):
        guide = GuideFactory(store=plan_a.store)
        CallbackTaskFactory(plan=plan_a, member=MemberFactory(home_store=plan_a.store, guide=guide))
    client.force_login(manager_a)
    with django_assert_max_num_queries(6):
        assert client.get("/callbacks/funnel/").status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get("/callbacks/progress/").status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"period": "plan", "plan": "99999999999999999999"},
        {"period": "plan", "plan": "-1"},
        {"period": "plan", "plan": "1e5"},
    ],
)
def test_odd_filter_values_are_a_4xx_never_a_500(client, manager_a, params):
    client.force_login(manager_a)
    assert 400 <= client.get("/callbacks/funnel/", params).status_code < 500


@pytest.mark.parametrize(
    "path",
    [
        "/callbacks/?guide=99999999999999999999",
        "/callbacks/tasks/99999999999999999999/",
        "/callbacks/plans/99999999999999999999/",
    ],
)
def test_huge_ids_are_a_4xx_never_a_500(client, manager_a, path):
    client.force_login(manager_a)
    assert 400 <= client.get(path).status_code < 500


@pytest.mark.parametrize("params", [{}, {"period": "last_month"}])
def test_the_filter_shows_the_grouping_the_table_uses(client, manager_a, worked, params):
    # given a manager whose funnel is grouped by guide unless they choose otherwise
    client.force_login(manager_a)

    # when the page opens without a grouping in the query
    page = client.get("/callbacks/funnel/", params).content.decode()

    # then the grouping select shows 导购, the grouping of the table below it
    assert '<option value="guide" selected>' in page
    assert '<option value="plan" selected>' not in page
