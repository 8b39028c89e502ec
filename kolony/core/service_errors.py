"""The one adapter from a service's ``django.core.exceptions.ValidationError`` to what a page shows.

Services raise ``ValidationError({field: [message, ...]})`` (``__all__`` for the object as a whole)
or ``ValidationError([message, ...])``. Pages show those messages either on a bound form
(:func:`apply_service_errors`: next to the field they name, else as a form-wide error labelled with
the field) or as flat lines (:func:`errors_as_text`: flash messages, htmx error lists). The API
turns the same errors into 400s with :func:`api_error_detail` (:mod:`kolony.core.api_errors`).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class ServiceConflict(ValidationError):
    """The request is fine but the object's current state does not allow it (a review transition
    from the wrong state, two people approving at once): the API answers 409, pages show the
    message like any other ValidationError. ``current_state`` names the state found (e.g. ``approved``)."""

    def __init__(self, message, *, current_state: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.current_state = current_state


#: Keys whose messages read on their own (the object, the whole plan or brief): never labelled.
UNLABELLED = frozenset({"__all__", "non_field_errors", "plan", "brief"})


def error_messages(exc: ValidationError) -> dict[str, list[str]]:
    """``{field or "__all__": [message, ...]}`` of ``exc``, in the order raised."""
    if hasattr(exc, "error_dict"):
        return {field: list(messages) for field, messages in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


def api_error_detail(exc: ValidationError) -> dict[str, list[str]]:
    """``exc`` as a DRF error detail: :func:`error_messages` with ``__all__`` named
    ``non_field_errors`` (DRF's key for errors of the object as a whole)."""
    return {("non_field_errors" if field == "__all__" else field): messages for field, messages in error_messages(exc).items()}


def _labelled(field: str, message: str) -> str:
    return message if field in UNLABELLED else f"{field.replace('_', ' ')}: {message}"


def errors_as_text(exc: ValidationError) -> list[str]:
    """Every message of ``exc`` as one line, prefixed with its field (``"budget minor: …"``) unless
    the key is in :data:`UNLABELLED`."""
    return [_labelled(field, message) for field, messages in error_messages(exc).items() for message in messages]


def apply_service_errors(form: forms.Form, exc: ValidationError, field_map: dict[str, str] | None = None, *,
                         nested: tuple[str, ...] = ("targeting",)) -> None:
    """Puts ``exc``'s messages on the bound ``form``: on the field they name (renamed through
    ``field_map``: service field → form field), else as form-wide errors labelled with the field
    (never a ValueError for a field the form lacks). A message of a ``nested`` field (e.g.
    ``targeting``: ``"countries: …"``) goes to the form field its first word names, without that
    prefix. A message already shown on that field is not repeated."""
    field_map = field_map or {}
    for field, messages in error_messages(exc).items():
        for message in messages:
            target: str | None = field_map.get(field, field)
            if field in nested:
                target = message.split("[", 1)[0].split(":", 1)[0].split(" ", 1)[0]
            text = message
            if field in nested and target in form.fields and ":" in message:
                text = message.split(":", 1)[1].strip()  # "countries: 'ZZ' is …" shows as "'ZZ' is …" on Countries
            if target not in form.fields:
                target, text = None, (message if field in nested else _labelled(field, message))
            if text in form.errors.get(target if target is not None else NON_FIELD_ERRORS, ()):
                continue
            form.add_error(target, text)
