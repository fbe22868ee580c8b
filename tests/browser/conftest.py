"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's
live_server. One browser per module; every request the page makes is recorded so a test can
assert that nothing leaves localhost and no static file is missing."""

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# body (factories, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/siyu-shots")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Traffic:
    """Every request and every failed response a page made."""

    def __init__(self):
        self.urls: list[str] = []
        self.failures: list[tuple[int, str]] = []

    def on_request(self, request):
        self.urls.append(request.url)

    def on_response(self, response):
        if response.status >= 400:
            self.failures.append((response.status, response.url))

    def outside_localhost(self) -> list[str]:
        return [
            url
            for url in self.urls
            if urlparse(url).scheme not in ("data", "blob")
            and urlparse(url).hostname not in LOCAL_HOSTS
        ]

    def static_failures(self) -> list[tuple[int, str]]:
        return [(status, url) for status, url in self.failures if "/static/" in url]


@pytest.fixture
def traffic():
    return Traffic()


def _recorded_page(browser, traffic, **context_options):
    """A fresh context (no cookies) with its traffic recorded; nothing may leave localhost."""
    context = browser.new_context(locale="zh-CN", **context_options)
    context.on("request", traffic.on_request)
    context.on("response", traffic.on_response)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert traffic.outside_localhost() == [], "a request left localhost"


@pytest.fixture
def phone_page(browser, traffic):
    """A 390x844 phone screen."""
    yield from _recorded_page(browser, traffic, viewport=PHONE, device_scale_factor=2)


@pytest.fixture
def desk_page(browser, traffic):
    yield from _recorded_page(browser, traffic, viewport={"width": 1280, "height": 900})


@pytest.fixture
def shots_dir():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def portal_login(page, base_url, user, password="pass-1234"):
    page.goto(f"{base_url}/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
