"""How the API says no: JSON with a sentence and, for bad input, each field at fault.

A refused field is named by its path in the request (`commitments.0.citations.1.passage`,
`date_from`); errors that concern no single field are under `non_field_errors`.
"""

from typing import Any

from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


def _flattened(detail: Any, path: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """DRF's nested error detail as one mapping of dotted field paths to their messages."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = (
                str(key).removesuffix("__all__") + NON_FIELD
                if str(key).endswith("__all__")
                else str(key)
            )
            flat |= _flattened(value, (*path, name))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat |= _flattened(item, (*path, str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {".".join(path) or NON_FIELD: [str(message) for message in messages]}


def exception_handler(exc, context):
    """DRF's handler, with validation errors as `{"detail": …, "fields": {path: [messages]}}`."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": str(_("Some of what was sent is not right.")),
            "fields": _flattened(exc.detail),
        }
    return response


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal."""

    detail = serializers.CharField(help_text=_("What went wrong, in a sentence."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("For bad input: each field at fault, by its path, with its messages."),
    )


ERROR_CODES = ("400", "403", "404", "429")


class ConcordAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the refusals every operation may give documented."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in ERROR_CODES:
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code))
        return responses


def not_found(request, exception=None):
    """The site's 404, in JSON under /api/ (an address no route matches, such as a malformed id)."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": str(_("Not found."))}, status=404)
    return defaults.page_not_found(request, exception)
