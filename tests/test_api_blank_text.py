"""Every optional text field of the API accepts an empty string, as it accepts the key left
out: a form sends "" for a field nobody filled in."""

import importlib
import inspect

import pytest
from rest_framework import serializers

API_MODULES = [
    "residents.api",
    "supplies.api",
    "supplies.api_orders",
    "volunteers.api",
    "deliveries.api",
    "deliveries.api_plans",
    "deliveries.api_handover",
    "deliveries.api_replans",
    "deliveries.api_meals",
    "medical.api",
]


def serializer_classes() -> list[type[serializers.Serializer]]:
    found = {}
    for name in API_MODULES:
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, serializers.Serializer) and value.__module__ == name:
                found[f"{name}.{value.__name__}"] = value
    return [found[key] for key in sorted(found)]


def optional_text_fields(serializer: serializers.Serializer, prefix: str = ""):
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from optional_text_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.ListField):
            continue
        elif (
            isinstance(field, serializers.CharField)
            and not isinstance(field, serializers.ChoiceField)
            and not field.read_only
            and not field.required
        ):
            yield f"{prefix}{name}", field


@pytest.mark.parametrize("serializer_class", serializer_classes(), ids=lambda cls: cls.__name__)
def test_every_optional_text_field_accepts_an_empty_string(serializer_class):
    refusing = [
        name for name, field in optional_text_fields(serializer_class()) if not field.allow_blank
    ]
    assert refusing == []


def test_it_walks_the_serializers_that_have_optional_text(db):
    walked = [
        name
        for serializer_class in serializer_classes()
        for name, _ in optional_text_fields(serializer_class())
    ]
    assert "dietary_notes" in walked
    assert len(walked) > 10
