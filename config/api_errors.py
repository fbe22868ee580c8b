"""One error shape for the whole API: {"code": ..., "detail": ..., "errors": {...}} with a 4xx."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from django.utils.translation import gettext as _
from rest_framework.views import exception_handler as drf_exception_handler

from members.errors import RuleViolation


def exception_handler(exc, context):
    if isinstance(exc, RuleViolation):
        return Response({"code": exc.code, "detail": str(exc.message)}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(
            {"code": "invalid", "detail": _("提交的数据有误。"), "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"code": "invalid", "detail": _("提交的数据有误。"), "errors": response.data}
    elif response is not None and isinstance(response.data, list):
        response.data = {"code": "invalid", "detail": _("提交的数据有误。"), "errors": response.data}
    elif response is not None and isinstance(response.data, dict):
        detail = response.data["detail"]
        response.data.setdefault("code", getattr(detail, "code", "error"))
    return response
