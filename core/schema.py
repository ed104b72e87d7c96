"""The OpenAPI document tells the truth: every operation names the errors it answers, with one
`Error` body, and a field that can answer null or "" says so.

Named in settings as DRF's DEFAULT_SCHEMA_CLASS; drf-spectacular builds the document with it."""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.fields import empty

ERROR_COMPONENT = "Error"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# What DRF's TimeField reads and writes: "08:00", "08:00:00", "08:00:00.5" and no offset (JSON
# Schema's `time` format demands one, so it would call every answer wrong).
PARTIAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"

# The JSON body of every error the API answers (core.exceptions.api_exception_handler and
# core.error_views): a message, a stable code where the refusal has one, field errors.
ERROR_SCHEMA = {
    "type": "object",
    "description": _(
        "An error: `detail` says what went wrong in the reader's language, `code` names the "
        "refusal for programs (for example `sold_out`, `lock_conflict`, `locked_out`). Bad "
        "input answers the messages of each field under the field's name (`non_field_errors` "
        "for the whole input); a refusal may add its details (for example `offer`)."
    ),
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": _("What went wrong, to show to the person."),
        },
        "code": {
            # The messages of an input field called `code` (a pickup code) take its place.
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": _("A stable name for the refusal."),
        },
        "retryable": {
            "type": "boolean",
            "description": _("Sending the same request again may succeed."),
        },
    },
    "additionalProperties": {},
}

RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": _("Seconds to wait before sending the request again."),
    }
}


def _errors_of(method: str) -> dict:
    """The error statuses an operation can answer, with what each means."""
    errors = {
        "400": _("The input is not valid; nothing was changed."),
        "403": _(
            "Not logged in (no or a wrong token), or not allowed to do this; nothing was changed."
        ),
    }
    errors["404"] = _("No such object among those you may see, or no such page.")
    if method in WRITE_METHODS:
        errors["409"] = _(
            "Someone else changed the same thing at the same moment; nothing was changed and "
            "sending the request again is safe (code `lock_conflict`)."
        )
        errors["413"] = _("The request is too large (code `request_too_large`).")
        if method != "DELETE":
            errors["415"] = _("The body is not JSON; nothing was changed.")
    errors["429"] = _("Too many requests or failed logins from here; wait and try again.")
    errors["500"] = _("Something went wrong on our side; it has been logged.")
    return errors


def _model_field(field: serializers.Field) -> models.Field | None:
    """The model field a serializer field shows directly (`source` one name deep), if any."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return None
    try:
        return model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None


def _through_nullable_relation(field: serializers.Field) -> bool:
    """Whether the field's `source` passes through or ends at a relation that may be empty."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or field.source == "*":
        return False
    for name in field.source.split("."):
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if not model_field.concrete:  # a reverse relation: a list or nothing, never null
            return False
        if model_field.null:
            return True
        if not model_field.is_relation:
            return False
        model = model_field.related_model
    return False


class AutoSchema(SpectacularAutoSchema):
    def _get_parameters(self):
        parameters = super()._get_parameters()
        # An optional filter sent empty (`?kind=`, as a form sends it) is no filter at all.
        for parameter in parameters:
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        error = self._error_component()
        errors = _errors_of(self.method)
        for status, description in errors.items():
            if status in responses:
                continue
            response = {
                "content": {"application/json": {"schema": error.ref}},
                "description": description,
            }
            if status in ("409", "429"):
                response["headers"] = RETRY_AFTER
            responses[status] = response
        return responses

    def _error_component(self) -> ResolvedComponent:
        component = ResolvedComponent(
            name=ERROR_COMPONENT,
            type=ResolvedComponent.SCHEMA,
            object=ERROR_COMPONENT,
            schema=ERROR_SCHEMA,
        )
        self.registry.register_on_missing(component)
        return component

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        # A field shown through an empty relation, or defaulting to None, answers null.
        if direction == "response" and not meta.get("nullable") and _may_be_null(field):
            meta["nullable"] = True
        return meta

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField) and schema.get("format") == "time":
            schema = {**schema, "format": "partial-time", "pattern": PARTIAL_TIME}
        # DRF leaves allow_blank off read-only copies of model fields: their "" is an answer.
        if (
            isinstance(field, serializers.ChoiceField)
            and field.read_only
            and "" not in schema.get("enum", [""])
            and getattr(_model_field(field), "blank", False)
        ):
            schema["enum"] = [*schema["enum"], ""]
        return schema


def _may_be_null(field: serializers.Field) -> bool:
    if not isinstance(field, serializers.Field) or field.write_only:
        return False
    if getattr(field, "default", empty) is None:
        return True
    return _through_nullable_relation(field)
