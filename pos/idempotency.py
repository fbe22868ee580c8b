"""INV-POS-RETRY: a retried POS call never has a second effect and gets the same answer.

Decorate the handler of a state-changing POS view with `@idempotent`. Within one transaction:
take a per-(store, key) advisory lock on Postgres (taken already: 409, the first call is still in
flight), look up the key (same payload: replay the stored answer; other payload: 422), otherwise
run the handler in a savepoint, store its answer, errors included, and commit. On SQLite, which
has no advisory locks and serialises writers, the unique constraint on (store, key) backs it.
"""

import functools
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from members.models import Store

from .models import IdempotentRequest

HEADER = settings.POS_IDEMPOTENCY_HEADER
MAX_KEY_LENGTH = IdempotentRequest._meta.get_field("key").max_length
REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description=_(
        "每次业务请求生成一个唯一的键（如 UUID），重试时原样带上：同键同内容返回第一次的结果，"
        "同键不同内容返回 422，第一次请求仍在处理时返回 409。"
    ),
)


class IdempotencyKeyRequired(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "idempotency_key_required"
    default_detail = _("请在请求头 Idempotency-Key 中提供幂等键（不超过 255 个可见 ASCII 字符）。")


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _("该幂等键已用于另一份请求内容；新的请求请使用新的幂等键。")


class IdempotentRequestInFlight(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_in_flight"
    default_detail = _("使用该幂等键的请求正在处理中，请稍后重试。")


def idempotency_key_from(request) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise IdempotencyKeyRequired()
    return key


def canonical_body(raw: bytes) -> bytes:
    """JSON re-serialised with sorted keys and no spacing: formatting is not payload."""
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        return raw
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def request_fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), canonical_body(request.body)):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _lock_key(store: Store, key: str) -> None:
    """Postgres only; released at commit or rollback. Busy means the first call is in flight."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"pos-idempotency:{store.pk}:{key}"]
        )
        if not cursor.fetchone()[0]:
            raise IdempotentRequestInFlight()


def _as_json(data):
    """What the client reads: Decimals, dates and lazy strings as the renderer writes them."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


def _answer_store(store: Store, key: str, fingerprint: str, response: Response):
    """Store the first answer. Only this insert's conflict means another call stored the key
    first (SQLite, or a path the lock did not cover); the caller's transaction, business
    effect included, then rolls back. A business constraint failing inside the handler is not
    mistaken for it."""
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                store=store,
                key=key,
                fingerprint=fingerprint,
                response_status=response.status_code,
                response_body=_as_json(response.data),
            )
    except IntegrityError as exc:
        raise IdempotentRequestInFlight() from exc


def respond_once(*, store: Store, key: str, fingerprint: str, answer: Callable[[], Response]):
    """The stored answer for (store, key), computing and storing it with `answer` the first time."""
    replayed = True
    with transaction.atomic():
        _lock_key(store, key)
        record = IdempotentRequest.objects.filter(store=store, key=key).first()
        if record is None:
            response = answer()
            if response.status_code >= 500:
                transaction.set_rollback(True)  # a server fault is no answer: a retry reruns
                return response
            record = _answer_store(store, key, fingerprint, response)
            replayed = False
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    return Response(record.response_body, status=record.response_status, headers=headers)


def _answer(view, handler, request, args, kwargs) -> Response:
    """The handler's response, or its error as a response; an error leaves no business effect."""
    try:
        with transaction.atomic():
            response = handler(view, request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
            return response
    except Exception as exc:  # noqa: BLE001 - handle_exception re-raises what is not a 4xx
        return view.handle_exception(exc)


def idempotent(handler):
    """Make a POS view handler (authenticated by a POS key) idempotent per store and key."""

    @extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = idempotency_key_from(request)
        return respond_once(
            store=request.auth.store,
            key=key,
            fingerprint=request_fingerprint(request),
            answer=lambda: _answer(view, handler, request, args, kwargs),
        )

    return wrapper
