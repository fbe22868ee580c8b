"""The SMS provider is the outside world: its HTTP endpoint is replaced by `sms_http`."""

import io
import json
import threading
import urllib.error
from collections import Counter

import pytest

HTTP_GATEWAY = "messaging.gateways.HttpSmsGateway"


class FakeSmsProvider:
    """Stands in for urllib.request.urlopen: records each POST, answers with `status`."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.error: Exception | None = None
        self.delay = 0.0
        # Phones whose SMS the provider refuses with an error of its own kind (not HTTP).
        self.broken_for: set[str] = set()
        # Phones whose SMS kills the sending process after the provider got it.
        self.dying_for: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, request, timeout=None):
        if self.delay:
            threading.Event().wait(self.delay)
        with self._lock:
            self.requests.append({"request": request, "timeout": timeout})
        if self.error is not None:
            raise self.error
        phone = json.loads(request.data)["phone"]
        if phone in self.dying_for:
            raise SystemExit("worker killed")
        if phone in self.broken_for:
            raise ValueError("provider library bug")
        if self.status >= 400:
            raise urllib.error.HTTPError(
                request.full_url, self.status, "error", {}, io.BytesIO(b"{}")
            )
        return FakeResponse(self.status)

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(entry["request"].data) for entry in self.requests]

    def calls_per_message(self) -> Counter:
        return Counter(body["message_id"] for body in self.bodies)


class FakeResponse:
    def __init__(self, status):
        self.status = status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def sms_http(monkeypatch, settings):
    """The HTTP gateway configured, its provider faked."""
    settings.SMS_GATEWAY = HTTP_GATEWAY
    settings.SMS_GATEWAY_URL = "https://sms.example.test/v1/messages"
    settings.SMS_GATEWAY_API_KEY = "test-api-key"
    settings.SMS_GATEWAY_TIMEOUT_SECONDS = 4.0
    provider = FakeSmsProvider()
    monkeypatch.setattr("messaging.gateways.urllib.request.urlopen", provider)
    return provider
