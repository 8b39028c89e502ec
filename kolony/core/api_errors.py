"""DRF exception handler: every error body is ``{"detail": str, "errors": {field: [str, ...]}}``."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def _as_list(value):
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(_as_list(item) if isinstance(item, (list, tuple)) else [str(item) if not isinstance(item, dict) else item])
        return out
    return [str(value)] if not isinstance(value, dict) else [value]


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(data, dict):
            errors = {field: _as_list(msgs) for field, msgs in data.items()}
        else:
            errors = {"non_field_errors": _as_list(data)}
        first = next(iter(errors.items()), None)
        detail = "Invalid input." if first is None else f"Invalid input: {first[0]}: {first[1][0] if first[1] else ''}"
        response.data = {"detail": detail, "errors": errors}
    else:
        detail = data.get("detail") if isinstance(data, dict) else data
        response.data = {"detail": str(detail), "errors": {}}
    return response
