"""Shared fixtures. Tests needing Postgres, Redis or a browser are marked; outside CI they skip
when the service is absent, in CI (SIYU_REQUIRE_SERVICES=1) a missing service is a failure."""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

from tests.members.factories import (
    GuideFactory,
    HqAdminFactory,
    MemberFactory,
    RegionFactory,
    StoreFactory,
    StoreManagerFactory,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _redis_up() -> bool:
    url = urlparse(settings.REDIS_URL or "")
    if not url.hostname:
        return False
    try:
        socket.create_connection((url.hostname, url.port or 6379), timeout=1).close()
    except OSError:
        return False
    return True


def _missing(marker: str) -> str | None:
    if marker == "postgres" and not settings.IS_POSTGRES:
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker == "redis" and not _redis_up():
        return "needs Redis: set REDIS_URL=redis://..."
    if marker == "browser" and not shutil.which(CHROMIUM):
        return f"needs chromium at {CHROMIUM}: apt-get install chromium"
    return None


def pytest_collection_modifyitems(config, items):
    required = os.environ.get("SIYU_REQUIRE_SERVICES") == "1"
    missing = {}
    for item in items:
        for marker in ("postgres", "redis", "browser"):
            if marker in item.keywords and (reason := _missing(marker)):
                missing[marker] = reason
                item.add_marker(pytest.mark.skip(reason=reason))
    if required and missing:
        raise pytest.UsageError("CI requires every service: " + "; ".join(missing.values()))


@pytest.fixture
def region(db):
    return RegionFactory()


@pytest.fixture
def store_a(db, region):
    return StoreFactory(code="A001", name="甲店", region=region)


@pytest.fixture
def store_b(db):
    return StoreFactory(code="B001", name="乙店")


@pytest.fixture
def hq_admin(db):
    return HqAdminFactory()


@pytest.fixture
def manager_a(store_a):
    return StoreManagerFactory(store=store_a)


@pytest.fixture
def manager_b(store_b):
    return StoreManagerFactory(store=store_b)


@pytest.fixture
def guide_a(store_a):
    return GuideFactory(store=store_a)


@pytest.fixture
def guide_b(store_b):
    return GuideFactory(store=store_b)


@pytest.fixture
def member_a(store_a, guide_a):
    return MemberFactory(home_store=store_a, guide=guide_a)


@pytest.fixture
def member_b(store_b, guide_b):
    return MemberFactory(home_store=store_b, guide=guide_b)


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a request in English (LocaleMiddleware
    activates it in this thread) must not leak into the next test."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def settings_rows(request):
    """HQ's settings rows, as the data migrations create them: a transactional test flushes every
    table, and the tests after it must still find the rows a real database always has."""
    if request.node.get_closest_marker("django_db") is None:
        return
    from coupons.models import CouponSettings
    from members.models import RfmSettings

    for model in (RfmSettings, CouponSettings):
        if not model.objects.exists():
            model.objects.create()


@pytest.fixture
def login(client):
    """Log a user in and hand back the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
