"""Request hygiene at the root: input that the database or Python cannot take is refused with a 400
(or 413) naming the parameter, before any view runs.

- :class:`RequestValidationMiddleware` checks every request's path, query string and its
  urlencoded or JSON body: NUL characters (PostgreSQL refuses them in text and jsonb), JSON nested
  deeper than ``KOLONY_MAX_JSON_DEPTH`` (default 32; deeper bodies used to raise RecursionError),
  bodies larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413, from ``Content-Length`` before reading).
- :class:`MultiPartParser` / :class:`FormParser` / :class:`JSONParser`: DRF's parsers with the same
  checks (multipart bodies are not read by the middleware, so upload size limits stay with the
  views that stream the upload).
- :func:`query_params` parses ``request.GET`` through a Django form (one per page/endpoint) and
  raises :class:`BadRequestParameters` when it is invalid; the middleware answers those with the
  400 page (HTML) and the API exception handler with ``{"detail", "errors"}``.
- :class:`SafeDateField` / :class:`SafeDateFieldDRF`: dates between :data:`MIN_DATE` and
  :data:`MAX_DATE`, so date arithmetic (previous periods, ranges) never overflows.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError

NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."
#: The calendar the app accepts: far from ``date.min``/``date.max`` so that a range's previous
#: period (up to two years earlier) and timezone shifts stay valid dates.
MIN_DATE = dt.date(1970, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
DATE_RANGE_MESSAGE = f"Enter a date between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."


def max_json_depth() -> int:
    return int(getattr(settings, "KOLONY_MAX_JSON_DEPTH", 32))


class BadRequestParameters(Exception):
    """Bad request input: ``errors`` is ``{parameter: [message, ...]}``; ``status`` 400 or 413."""

    def __init__(self, errors: dict[str, list[str]], status: int = 400, detail: str | None = None):
        self.errors = {str(k): [str(m) for m in v] for k, v in errors.items()}
        self.status = status
        first = next(iter(self.errors.items()), None)
        self.detail = detail or ("Invalid input." if first is None else f"Invalid input: {first[0]}: {first[1][0]}")
        super().__init__(self.detail)


def _printable(name: str) -> str:
    return name.replace(NUL, "\\x00") or "(empty name)"


def nul_errors(items, where: str = "") -> dict[str, list[str]]:
    """``{name: [message]}`` for every ``(name, value)`` pair of ``items`` holding a NUL (in the
    name or the value)."""
    errors: dict[str, list[str]] = {}
    for name, value in items:
        if NUL in name:
            errors[_printable(name)] = [f"The {where + ' ' if where else ''}parameter name contains a null character."]
        elif isinstance(value, str) and NUL in value:
            errors[name] = [NUL_MESSAGE]
    return errors


def json_errors(data: Any) -> dict[str, list[str]]:
    """Checks parsed JSON without recursion: nesting depth (≤ ``KOLONY_MAX_JSON_DEPTH``) and NUL
    characters in keys and strings. Errors are keyed by the top-level field (``non_field_errors``
    for a non-object body); nested places are named in the message (``a.b[2]: …``)."""
    limit = max_json_depth()
    errors: dict[str, list[str]] = {}
    stack: list[tuple[Any, int, str, str]] = [(data, 1, "", "")]  # value, depth, field, path
    while stack:
        value, depth, field, path = stack.pop()
        if isinstance(value, (dict, list)) and depth > limit:
            errors.setdefault(field or "non_field_errors", []).append(
                f"{path + ': ' if path else ''}JSON nested deeper than {limit} levels.")
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                key_s = str(key)
                top = field or _printable(key_s)
                sub = f"{path}.{_printable(key_s)}" if path else ("" if not field else _printable(key_s))
                if NUL in key_s:
                    errors.setdefault(top, []).append(f"{sub + ': ' if sub else ''}A key contains a null character.")
                    continue
                stack.append((item, depth + 1, top, sub))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, depth + 1, field, f"{path}[{index}]"))
        elif isinstance(value, str) and NUL in value:
            errors.setdefault(field or "non_field_errors", []).append(f"{path + ': ' if path else ''}{NUL_MESSAGE}")
    return errors


def parse_json(raw: bytes | str) -> Any:
    """``json.loads`` that turns syntax errors and too-deep nesting into :class:`BadRequestParameters`
    (``non_field_errors`` / the field) and checks the result with :func:`json_errors`."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadRequestParameters({"non_field_errors": [f"JSON nested deeper than {max_json_depth()} levels."]}) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestParameters({"non_field_errors": [f"JSON parse error: {exc}"]}) from None
    errors = json_errors(data)
    if errors:
        raise BadRequestParameters(errors)
    return data


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def _too_large(limit: int | None) -> BadRequestParameters:
    return BadRequestParameters(
        {"body": [f"The request body is larger than the limit of {limit} bytes."]}, status=413,
        detail=f"Request body too large: the limit is {limit} bytes.")


def check_request(request: HttpRequest) -> None:
    """Raises :class:`BadRequestParameters` for a NUL in the path or query string, or a urlencoded
    or JSON body that is too large (413), too deep or holds a NUL. Multipart bodies are left to
    the parsers/forms (reading them here would read whole uploads)."""
    if NUL in request.path:
        raise BadRequestParameters({"path": ["The address contains a null character."]})
    errors = nul_errors(((k, v) for k, vs in request.GET.lists() for v in vs), "query")
    if errors:
        raise BadRequestParameters(errors)
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    content_type = (request.content_type or "").lower()
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if content_type == "multipart/form-data":
        # Page forms small enough to sit in memory (what the CSRF check reads anyway); uploads and
        # the API's multipart bodies are checked by the parsers/forms that stream them.
        if not is_api_request(request) and limit is not None and length <= limit:
            _check_multipart(request)
        return
    if not (_is_json(content_type) or content_type == "application/x-www-form-urlencoded"):
        return
    if limit is not None and length > limit:
        raise _too_large(limit)
    try:
        if _is_json(content_type):
            # the API's JSON is checked once, by :class:`JSONParser` when the view reads it
            if not is_api_request(request) and request.body.strip():
                parse_json(request.body)
        else:
            errors = nul_errors(((k, v) for k, vs in request.POST.lists() for v in vs), "form")
            if errors:
                raise BadRequestParameters(errors)
    except RequestDataTooBig:
        raise _too_large(limit) from None
    except TooManyFieldsSent:
        raise BadRequestParameters({"body": [
            f"Too many fields (the limit is {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS})."]}) from None


def _files_errors(files) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, uploads in files.lists():
        if NUL in name:
            errors[_printable(name)] = ["The form field name contains a null character."]
        elif any(NUL in (f.name or "") for f in uploads):
            errors[name] = ["The file name contains a null character."]
    return errors


def _check_multipart(request: HttpRequest) -> None:
    try:
        errors = nul_errors(((k, v) for k, vs in request.POST.lists() for v in vs), "form")
        errors.update(_files_errors(request.FILES))
    except MultiPartParserError as exc:
        raise BadRequestParameters({"body": [f"Malformed multipart form: {exc}"]}) from None
    except RequestDataTooBig:
        raise _too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) from None
    except TooManyFieldsSent:
        raise BadRequestParameters({"body": [
            f"Too many fields (the limit is {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS})."]}) from None
    if errors:
        raise BadRequestParameters(errors)


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request_response(request: HttpRequest, exc: BadRequestParameters) -> HttpResponse:
    """The API's ``{"detail", "errors"}`` JSON under ``/api/``, else the 400 page naming each
    parameter."""
    if is_api_request(request) or _is_json((request.content_type or "").lower()):
        return JsonResponse({"detail": exc.detail, "errors": exc.errors}, status=exc.status)
    return render(request, "core/bad_request.html", {"errors": exc.errors, "detail": exc.detail}, status=exc.status)


class RequestValidationMiddleware:
    """Runs :func:`check_request` before the view; answers :class:`BadRequestParameters` raised by
    a view (e.g. from :func:`query_params`) with :func:`bad_request_response`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            check_request(request)
        except BadRequestParameters as exc:
            return bad_request_response(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, BadRequestParameters):
            return bad_request_response(request, exception)
        return None


# --- query parameters ---------------------------------------------------------------------------


ID_MAX = 2**63 - 1  # PostgreSQL bigint


def parse_id(value) -> int | None:
    """An object id from request text: ASCII digits in 1 … 2⁶³−1 → int, anything else → None
    (``"²".isdigit()`` is true and ``"9" * 30`` overflows bigint; neither reaches the database)."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


def form_errors(form: forms.Form, names: dict[str, str] | None = None) -> dict[str, list[str]]:
    """``{parameter: [message]}`` of a bound form (``names`` maps field → parameter name;
    form-wide errors under ``non_field_errors``)."""
    names = names or {}
    return {("non_field_errors" if f == "__all__" else names.get(f, f)): [str(m) for m in msgs]
            for f, msgs in form.errors.items()}


def query_params(request: HttpRequest, form_class: type[forms.Form], names: dict[str, str] | None = None,
                 **kwargs) -> dict:
    """``form_class(request.GET).cleaned_data``; raises :class:`BadRequestParameters` (400 naming
    each parameter, via ``names`` for fields whose name differs from the parameter) when invalid."""
    form = form_class(request.GET, **kwargs)
    if not form.is_valid():
        raise BadRequestParameters(form_errors(form, names))
    return form.cleaned_data


_FormT = TypeVar("_FormT", bound=forms.Form)


def validate_query_form(form: _FormT, names: dict[str, str] | None = None) -> _FormT:
    """Raises :class:`BadRequestParameters` if the bound ``form`` is invalid; returns it."""
    if form.is_bound and not form.is_valid():
        raise BadRequestParameters(form_errors(form, names))
    return form


class SafeDateField(forms.DateField):
    """A form date between :data:`MIN_DATE` and :data:`MAX_DATE`."""

    def validate(self, value):
        super().validate(value)
        if value is not None and not (MIN_DATE <= value <= MAX_DATE):
            raise forms.ValidationError(DATE_RANGE_MESSAGE, code="date_range")


class SafeDateFieldDRF(serializers.DateField):
    """A serializer date between :data:`MIN_DATE` and :data:`MAX_DATE`."""

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if not (MIN_DATE <= value <= MAX_DATE):
            raise serializers.ValidationError(DATE_RANGE_MESSAGE, code="date_range")
        return value


# --- DRF parsers ----------------------------------------------------------------------------------


def _raise_parse_error(exc: BadRequestParameters):
    """Raised as is: the API exception handler answers it with its status and errors."""
    raise exc


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting and NUL checks of :func:`parse_json` (400 naming the field)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            raw = stream.read() if stream is not None else b""
        except RequestDataTooBig:
            _raise_parse_error(_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        if not raw.strip():
            raise ParseError("JSON parse error: the body is empty.")
        try:
            return parse_json(raw)
        except BadRequestParameters as exc:
            _raise_parse_error(exc)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        errors = nul_errors(((k, v) for k, vs in data.lists() for v in vs), "form")
        if errors:
            _raise_parse_error(BadRequestParameters(errors))
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser; refuses NUL characters in field names, values and file names."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            result = super().parse(stream, media_type, parser_context)
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error: {exc}") from None
        errors = nul_errors(((k, v) for k, vs in result.data.lists() for v in vs), "form")
        errors.update(_files_errors(result.files))
        if errors:
            _raise_parse_error(BadRequestParameters(errors))
        return result
