"""One error type for refusals of the domain, and the API handler that turns it into a 400."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A refusal a user can read: the message is translated, `extra` carries details; the API
    answers it with `status` (400 unless a subclass says otherwise)."""

    status = 400

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


def api_exception_handler(exc, context):
    """Every API error answers JSON: {"detail": ..., plus field errors or extra}. What is left
    unhandled (a bug) goes on to Django, which logs it and answers through core's JSON 500."""
    from core.locking import LockConflict, is_lock_conflict

    if isinstance(exc, OperationalError) and is_lock_conflict(exc):
        exc = LockConflict()
    if isinstance(exc, RequestDataTooBig):
        return Response(request_too_big_body(), status=413)
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, ApplicationError):
        response = Response({"detail": exc.message, **exc.extra}, status=exc.status)
        if exc.extra.get("retryable"):
            response["Retry-After"] = "1"
        return response
    return exception_handler(exc, context)


def request_too_big_body() -> dict:
    return {
        "detail": _("The request is too large. Send less at once."),
        "code": "request_too_large",
    }
