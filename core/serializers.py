"""The API reads JSON values of the type its schema gives: DRF would read `0` as false and `12`
as the text "12", so that a client's mistake (a count sent as a note, a flag as a number) is
stored as something nobody meant. Every serializer that reads input is one of these.

Scoped foreign keys too: their choices are what the asking user may see, so that an id of
another committee's row is "does not exist", never a way to learn it does."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty


def _refusal(field: serializers.Field, value) -> str | None:
    """Why the raw JSON value cannot be the field's, or None when its type is right."""
    if value is None or value is empty or field.read_only:
        return None  # null and absence are the field's own business (allow_null, required)
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return _("Say true or false.")
    if isinstance(field, serializers.CharField) and not isinstance(value, str):
        return _("Give a text, in quotes.")
    if isinstance(field, serializers.DecimalField) and not isinstance(value, str):
        return _('Give the amount as a text, for example "12.50".')
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        for item in value:
            if (refused := _refusal(field.child, item)) is not None:
                return refused
    return None


# Refuses, with the field's message, any value whose JSON type is not the field's. (No
# docstring: the schema would take it as every serializer's description.)
class TypedInput:
    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {
                name: [refused]
                for name, field in self.fields.items()
                if (refused := _refusal(field, data.get(name, empty))) is not None
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class Serializer(TypedInput, serializers.Serializer):
    pass


class ModelSerializer(TypedInput, serializers.ModelSerializer):
    pass


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key whose choices are what the asking user may see."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedId(ScopedPrimaryKeyField):
    """A scoped foreign key in an input serializer that has no model to describe it."""
