"""One error shape for the whole API: {"code": ..., "detail": ..., "errors": {...}} with a 4xx."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from members.errors import RuleViolation


def _invalid(errors) -> dict:
    return {"code": "invalid", "detail": _("提交的数据有误。"), "errors": errors}


def exception_handler(exc, context):
    if isinstance(exc, RuleViolation):
        return Response({"code": exc.code, "detail": str(exc.message)}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(_invalid(errors), status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", getattr(response.data["detail"], "code", "error"))
    else:
        response.data = _invalid(response.data)
    return response
