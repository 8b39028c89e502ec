"""OpenAPI post-processing (drf-spectacular ``POSTPROCESSING_HOOKS``): the error responses every
operation can give, in the one error format of :mod:`kolony.core.api_errors`.

Views document their own success codes (200/201/202) and any specific error (e.g. 409) with
``extend_schema``; this hook adds, where a view did not, the codes the framework itself answers:

- 400 on every operation (bad query parameters or body; a NUL anywhere in the request,
  :mod:`kolony.core.request_validation`);
- 401 / 403 (no or bad credentials, missing role), 404 (unknown object or page), 429 (throttled);
- 413 (body too large) and 415 (unsupported content type) on operations that take a body.
"""

from __future__ import annotations

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": 'Every error: `{"detail": "Invalid input: name: This field is required.", "errors": '
                   '{"name": ["This field is required."]}}`. `errors` maps each field (or query parameter, or '
                   '`non_field_errors`) to plain-string messages; it is empty for errors that are not about a field.',
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail", "errors"],
}
DESCRIPTIONS = {
    "400": "Invalid input; `errors` names each field or query parameter.",
    "401": "No or invalid credentials.",
    "403": "Your role in the organization does not allow this.",
    "404": "Not found in your organization (or no such page).",
    "413": "The request body is larger than the limit.",
    "415": "Unsupported content type.",
    "429": "Too many requests; retry after the `Retry-After` header's seconds.",
}
ALWAYS = ("400", "401", "403", "404", "429")
WITH_BODY = ("413", "415")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def error_response(code: str, description: str | None = None) -> dict:
    return {"description": description or DESCRIPTIONS.get(code, "Error."),
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}}


def add_error_responses(result, generator, request, public):
    """Adds the :data:`ERROR_COMPONENT` schema and the framework's error responses to each operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            codes = ALWAYS + (WITH_BODY if "requestBody" in operation else ())
            for code in codes:
                given = responses.get(code)
                # a view's own wording for an error ({"description": ...} only) keeps it, in the one error format
                responses[code] = error_response(code, (given or {}).get("description")) if not (given or {}).get("content") else given
            for code, given in responses.items():
                if code.startswith(("4", "5")) and not given.get("content"):
                    responses[code] = error_response(code, given.get("description"))
    return result
