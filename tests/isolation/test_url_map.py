"""INV-STORE-ISOLATION, by URL: every pattern is classified and behaves as its class says."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from callbacks.models import CallbackTask, PlanStatus
from members.models import Segment
from tests.callbacks.factories import CallbackPlanFactory, CallbackTaskFactory
from tests.isolation.routes import ROUTES, all_routes, classify, concrete_path

pytestmark = pytest.mark.django_db

ROUTE_LIST = all_routes()
NON_PUBLIC = [r for r in ROUTE_LIST if (c := classify(r)) and c.kind != "public"]
STORE_WITH_OBJECT = [r for r in ROUTE_LIST if (c := classify(r)) and c.kind == "store" and c.kwargs]
HQ_ROUTES = [r for r in ROUTE_LIST if (c := classify(r)) and c.kind == "hq"]


def _values(route, member, order_no="NO-X"):
    values = {"pk": member.pk, "object_id": member.pk, "content_type_id": 1, "order_no": order_no}
    kind = classify(route).kwargs.get("pk")
    if kind == "segment":
        values["pk"] = _sub_segment_of(member.home_store).pk
    elif kind == "task":
        values["pk"] = _callback_task_of(member).pk
    elif kind == "plan":
        values["pk"] = _callback_task_of(member).plan_id
    return {
        name: values.get(name, member.pk)
        for name in ["pk", "object_id", "content_type_id", "order_no"]
    }


def _sub_segment_of(store):
    """A store sub-segment of the member's store: what a URL naming a segment is tried with."""
    segment, _ = Segment.objects.get_or_create(store=store, name=f"二次分组{store.code}")
    return segment


def _callback_task_of(member):
    """A task of an active plan of the member's own store: what a URL naming a task (or, by its
    plan, a store's plan) is tried with."""
    task = CallbackTask.objects.filter(member=member).first()
    if task is None:
        plan = CallbackPlanFactory(
            store=member.home_store, status=PlanStatus.ACTIVE, activated_at=timezone.now()
        )
        task = CallbackTaskFactory(plan=plan, member=member)
    return task


def _request(client, route, member, **extra):
    spec = classify(route)
    path = concrete_path(route, _values(route, member))
    return getattr(client, spec.method)(path, **extra)


def test_every_url_pattern_is_classified():
    unclassified = [route for route in ROUTE_LIST if classify(route) is None]
    assert not unclassified, (
        f"classify these URL patterns in tests/isolation/routes.py: {unclassified}"
    )


def test_the_registry_names_no_pattern_that_is_gone():
    stale = set(ROUTES) - set(ROUTE_LIST)
    assert not stale, f"remove these from tests/isolation/routes.py: {stale}"


@pytest.mark.parametrize("route", NON_PUBLIC)
def test_anonymous_is_turned_away(route, member_a):
    response = _request(APIClient(), route, member_a)
    assert response.status_code in (301, 302, 401, 403), route
    if response.status_code in (301, 302):
        assert "login" in response["Location"], route


@pytest.mark.parametrize("route", STORE_WITH_OBJECT)
@pytest.mark.parametrize("who", ["manager_a", "guide_a"])
def test_another_stores_object_is_404(route, who, request, member_b):
    user = request.getfixturevalue(who)
    client = APIClient()
    client.force_login(user)
    response = _request(client, route, member_b)
    assert response.status_code == 404, (route, response.status_code)


@pytest.mark.parametrize("route", HQ_ROUTES)
def test_store_manager_never_gets_into_the_admin(route, client, manager_a, member_b):
    client.force_login(manager_a)
    spec = classify(route)
    path = concrete_path(route, _values(route, member_b))
    response = getattr(client, spec.method)(path)
    assert response.status_code in (302, 403, 404), route
    if response.status_code == 302:
        assert "/admin/login/" in response["Location"], route
