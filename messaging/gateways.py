"""Where messages leave the system: one gateway per channel, chosen by settings.

`settings.SMS_GATEWAY` is the dotted path of the SMS gateway: `LogGateway` (the default, for
development and the demo: writes the masked phone and the text to the `siyu.sms` logger) or
`HttpSmsGateway` (POSTs JSON to the provider). Internal messages are delivered by being in the
outbox. A gateway raises `GatewayError` when a message did not go out; the sender retries it.
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from members.phones import mask_phone

from .models import Channel, OutboxMessage

logger = logging.getLogger("siyu.sms")


class GatewayError(Exception):
    """The message did not go out; `str(error)` is a Chinese sentence for the outbox row."""


class Gateway:
    def send(self, message: OutboxMessage) -> None:
        raise NotImplementedError


def sms_phone(message: OutboxMessage) -> str:
    if not message.member_id:
        raise GatewayError(_("短信只能发给会员，这条消息的收件人是员工。"))
    return message.member.phone


class LogGateway(Gateway):
    """Sends nothing: logs the masked phone and the text."""

    def send(self, message: OutboxMessage) -> None:
        logger.info("SMS to %s: %s", mask_phone(sms_phone(message)), message.body)


class InternalGateway(Gateway):
    """An internal message is read in the back office: being in the outbox is its delivery."""

    def send(self, message: OutboxMessage) -> None:
        return None


class HttpSmsGateway(Gateway):
    """POSTs {"message_id", "phone", "text", "marketing"} as JSON to settings.SMS_GATEWAY_URL
    with the API key in the `X-Api-Key` header. `message_id` is stable per outbox message, so
    a provider that de-duplicates on it never delivers a retried message twice."""

    def __init__(self):
        if not (settings.SMS_GATEWAY_URL and settings.SMS_GATEWAY_API_KEY):
            raise ImproperlyConfigured(
                _("短信网关为 HttpSmsGateway 时必须设置 SMS_GATEWAY_URL 和 SMS_GATEWAY_API_KEY。")
            )

    def send(self, message: OutboxMessage) -> None:
        request = urllib.request.Request(
            settings.SMS_GATEWAY_URL,
            data=json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Api-Key": settings.SMS_GATEWAY_API_KEY,
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(  # the URL is ours, from settings
                request, timeout=settings.SMS_GATEWAY_TIMEOUT_SECONDS
            ) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise GatewayError(
                _("无法连接短信网关：%(error)s。") % {"error": getattr(error, "reason", error)}
            ) from error
        if not 200 <= status < 300:
            raise GatewayError(
                _("短信网关拒绝了这条短信（HTTP %(status)s）。") % {"status": status}
            )

    @staticmethod
    def payload(message: OutboxMessage) -> dict:
        return {
            "message_id": f"siyu-{message.pk}",
            "phone": sms_phone(message),
            "text": message.body,
            "marketing": message.marketing,
        }


class UnconfiguredGateway(Gateway):
    """A channel without a gateway yet: its messages fail (and are retried), never vanish."""

    def __init__(self, channel: str):
        self.channel = channel

    def send(self, message: OutboxMessage) -> None:
        raise GatewayError(
            _("渠道“%(channel)s”尚未配置发送网关。") % {"channel": Channel(self.channel).label}
        )


def gateway_for(channel: str) -> Gateway:
    if channel == Channel.SMS:
        return import_string(settings.SMS_GATEWAY)()
    if channel == Channel.INTERNAL:
        return InternalGateway()
    return UnconfiguredGateway(channel)
