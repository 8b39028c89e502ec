"""DRF exception handler: every error body is ``{"detail": str, "errors": {field: [str, ...]}}``.

Every message is a plain string. Nested errors (a list item, a key of a JSON object) are
flattened into their field's list with the place in front: ``{"platforms": {0: ["…"]}}`` becomes
``{"platforms": ["[0]: …"]}``, ``{"targeting": {"age_min": ["…"]}}`` becomes
``{"targeting": ["age_min: …"]}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .request_validation import BadRequestParameters
from .service_errors import ServiceConflict, api_error_detail


def _place(prefix: str, key: Any) -> str:
    part = f"[{key}]" if isinstance(key, int) or (isinstance(key, str) and key.isdigit()) else str(key)
    if not prefix:
        return part
    return f"{prefix}{part}" if part.startswith("[") else f"{prefix}.{part}"


def _as_list(value: Any, prefix: str = "") -> list[str]:
    """Plain-string messages of one field's error ``value`` (a string, list or nested dict)."""
    if isinstance(value, dict):
        out: list[str] = []
        for key, item in value.items():
            out.extend(_as_list(item, _place(prefix, key)))
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(_as_list(item, prefix))
        return out
    text = str(value)
    return [f"{prefix}: {text}" if prefix else text]


def _flatten(data: Any) -> dict[str, list[str]]:
    if isinstance(data, dict):
        return {("non_field_errors" if field == "__all__" else str(field)): _as_list(msgs) for field, msgs in data.items()}
    return {"non_field_errors": _as_list(data)}


def exception_handler(exc, context):
    if isinstance(exc, BadRequestParameters):
        return Response({"detail": exc.detail, "errors": exc.errors}, status=exc.status)
    if isinstance(exc, ServiceConflict):  # a state conflict: 409 naming the current state
        errors = api_error_detail(exc)
        return Response({"detail": " ".join(m for ms in errors.values() for m in ms), "errors": errors}, status=409)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(api_error_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(data)
        first = next(((f, m) for f, m in errors.items() if m), None)
        detail = "Invalid input." if first is None else f"Invalid input: {first[0]}: {first[1][0]}"
        response.data = {"detail": detail, "errors": errors}
    else:
        detail = data.get("detail") if isinstance(data, dict) else data
        response.data = {"detail": " ".join(_as_list(detail)) if detail is not None else "Error.", "errors": {}}
    return response
