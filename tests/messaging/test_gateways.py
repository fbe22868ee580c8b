"""The gateways: the HTTP one's request and failures (its provider faked), the log one's masking,
and the choice by settings."""

import logging
import subprocess
import sys
import urllib.error

import pytest
from django.core.exceptions import ImproperlyConfigured

from messaging.gateways import (
    GatewayError,
    HttpSmsGateway,
    InternalGateway,
    LogGateway,
    UnconfiguredGateway,
    gateway_for,
)
from messaging.models import Channel
from tests.members.factories import MemberFactory
from tests.messaging.factories import OutboxMessageFactory, StaffMessageFactory

pytestmark = pytest.mark.django_db


def test_http_gateway_posts_the_message_as_json_with_the_api_key(sms_http):
    # given
    message = OutboxMessageFactory(
        member=MemberFactory(phone="13812345678"), body="【私域优选】你好"
    )
    # when
    HttpSmsGateway().send(message)
    # then
    (sent,) = sms_http.requests
    request = sent["request"]
    assert request.full_url == "https://sms.example.test/v1/messages"
    assert request.get_method() == "POST"
    assert request.get_header("X-api-key") == "test-api-key"
    assert request.get_header("Content-type") == "application/json; charset=utf-8"
    assert sent["timeout"] == 4.0
    assert sms_http.bodies == [
        {
            "message_id": f"siyu-{message.pk}",
            "phone": "13812345678",
            "text": "【私域优选】你好",
            "marketing": True,
        }
    ]


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_http_gateway_raises_on_an_error_status(sms_http, status):
    sms_http.status = status
    with pytest.raises(GatewayError, match=f"HTTP {status}"):
        HttpSmsGateway().send(OutboxMessageFactory())


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_http_gateway_accepts_any_2xx(sms_http, status):
    sms_http.status = status
    HttpSmsGateway().send(OutboxMessageFactory())
    assert len(sms_http.requests) == 1


def test_http_gateway_raises_on_a_non_2xx_success_status(sms_http):
    sms_http.status = 302
    with pytest.raises(GatewayError, match="HTTP 302"):
        HttpSmsGateway().send(OutboxMessageFactory())


@pytest.mark.parametrize(
    "error", [urllib.error.URLError("connection refused"), TimeoutError("timed out")]
)
def test_http_gateway_raises_when_the_provider_is_unreachable(sms_http, error):
    sms_http.error = error
    with pytest.raises(GatewayError, match="无法连接短信网关"):
        HttpSmsGateway().send(OutboxMessageFactory())


def test_an_sms_to_a_member_of_staff_is_refused(sms_http):
    with pytest.raises(GatewayError, match="短信只能发给会员"):
        HttpSmsGateway().send(StaffMessageFactory(channel=Channel.SMS))
    assert sms_http.requests == []


def test_log_gateway_writes_the_masked_phone_and_the_text(caplog):
    message = OutboxMessageFactory(
        member=MemberFactory(phone="13812345678"), body="【私域优选】你好"
    )
    with caplog.at_level(logging.INFO, logger="siyu.sms"):
        LogGateway().send(message)
    assert "138****5678" in caplog.text and "【私域优选】你好" in caplog.text
    assert "13812345678" not in caplog.text


def test_the_sms_gateway_is_chosen_by_settings(settings):
    assert isinstance(gateway_for(Channel.SMS), LogGateway)  # the default
    settings.SMS_GATEWAY = "messaging.gateways.HttpSmsGateway"
    settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_API_KEY = "https://sms.example.test", "k"
    assert isinstance(gateway_for(Channel.SMS), HttpSmsGateway)


@pytest.mark.parametrize("unset", ["SMS_GATEWAY_URL", "SMS_GATEWAY_API_KEY"])
def test_the_http_gateway_refuses_to_work_without_url_or_key(sms_http, settings, unset):
    setattr(settings, unset, "")
    with pytest.raises(ImproperlyConfigured, match="SMS_GATEWAY_URL 和 SMS_GATEWAY_API_KEY"):
        HttpSmsGateway()


def test_a_sender_run_ends_within_the_task_time_limit(settings):
    """Its last message starts before OUTBOX_SEND_SECONDS and waits at most the HTTP timeout."""
    worst = settings.OUTBOX_SEND_SECONDS + settings.SMS_GATEWAY_TIMEOUT_SECONDS
    assert worst < settings.CELERY_TASK_SOFT_TIME_LIMIT


def test_internal_messages_need_no_gateway_and_wecom_has_none_yet():
    assert isinstance(gateway_for(Channel.INTERNAL), InternalGateway)
    wecom = gateway_for(Channel.WECOM)
    assert isinstance(wecom, UnconfiguredGateway)
    with pytest.raises(GatewayError, match="企业微信"):
        wecom.send(StaffMessageFactory(channel=Channel.WECOM))


# --- Production settings ------------------------------------------------------------------------

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "PATH": "/usr/bin:/bin",
    "DJANGO_SECRET_KEY": "a-production-secret",
    "DATABASE_URL": "postgres://siyu@db.example.test:5432/siyu",
    "REDIS_URL": "redis://redis.example.test:6379/0",
    "SMS_GATEWAY": "messaging.gateways.HttpSmsGateway",
}


def start(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "SMS_GATEWAY_URL、SMS_GATEWAY_API_KEY"),
        ({"SMS_GATEWAY_URL": "https://sms.example.test/v1"}, "SMS_GATEWAY_API_KEY"),
        ({"SMS_GATEWAY_API_KEY": "k"}, "SMS_GATEWAY_URL"),
    ],
)
def test_production_refuses_the_http_gateway_without_url_or_key(given, missing):
    result = start({**PRODUCTION, **given})
    assert result.returncode != 0
    assert f"未设置 {missing}：生产环境拒绝启动" in result.stderr


def test_production_starts_with_the_http_gateway_configured():
    configured = {"SMS_GATEWAY_URL": "https://sms.example.test/v1", "SMS_GATEWAY_API_KEY": "k"}
    result = start({**PRODUCTION, **configured})
    assert result.returncode == 0, result.stderr
