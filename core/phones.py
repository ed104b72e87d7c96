"""Phone numbers, in one place: stored in E.164 (region China), searched the same way, shown in
the national format. `13912345678`, `139 1234 5678` and `+86 139 1234 5678` are one number;
so are `(021) 6234 5678` and `+862162345678`.

Every model with a phone uses `PhoneField`, every form its `formfield()` or `PhoneFormField`,
every search `phone_normalise` on the query. A number that does not parse as a valid number
is kept as typed (rows from before this rule), so that nothing is lost."""

from __future__ import annotations

import logging

import phonenumbers
from django import forms
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

REGION = "CN"
MAX_LENGTH = 20

logger = logging.getLogger(__name__)


def _parsed(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_normalise(text: str | None) -> str:
    """E.164 (`+8613912345678`) for a valid number, else the text as typed, stripped."""
    text = (text or "").strip()
    if not text:
        return ""
    number = _parsed(text)
    if number is None:
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(value: str | None) -> str:
    """Readable: `139 1234 5678`, `021 6234 5678`; a foreign number with its + code."""
    value = (value or "").strip()
    number = _parsed(value) if value else None
    if number is None:
        return value
    if number.country_code == phonenumbers.country_code_for_region(REGION):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_validator(value: str) -> None:
    """Refuse what is not a valid phone number (mobile or landline, Chinese or with a + code)."""
    if value and _parsed(value) is None:
        raise ValidationError(
            _(
                "Enter a valid phone number: a mobile such as 139 1234 5678, a landline with "
                "its area code such as (021) 6234 5678, or a number with its + country code."
            ),
            code="invalid_phone",
        )


class PhoneFormField(forms.CharField):
    """A phone as typed, cleaned to E.164; the keyboard of a phone pad."""

    default_validators = [phone_validator]

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)  # room for the spaces and brackets people type
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        return phone_normalise(super().to_python(value))

    def prepare_value(self, value):
        return phone_display(value) if isinstance(value, str) else value


class PhoneField(models.CharField):
    """A CharField holding E.164: normalised on every save, update and exact lookup."""

    default_validators = [phone_validator]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return phone_normalise(value) if value is not None else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return phone_normalise(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = phone_normalise(value)
            setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PhoneFormField, **kwargs})


def phones_normalise_rows(model, *fields: str) -> None:
    """For data migrations: every row's phones to E.164; a number that is not valid is kept
    as it is and logged (model, pk, field) so that staff can correct it."""
    names = ", ".join(fields)
    changed, kept = [], 0
    for row in model.objects.only("pk", *fields).iterator(chunk_size=2000):
        dirty = False
        for field in fields:
            value = getattr(row, field) or ""
            normal = phone_normalise(value)
            if normal != value:
                setattr(row, field, normal)
                dirty = True
            elif value and _parsed(value) is None:
                kept += 1
                logger.warning(
                    "%s %s: %s %r is not a valid phone number; kept as it is",
                    model.__name__,
                    row.pk,
                    field,
                    value,
                )
        if dirty:
            changed.append(row)
    model.objects.bulk_update(changed, fields, batch_size=1000)
    if changed or kept:
        logger.info(
            "%s (%s): %d rows normalised, %d numbers kept as they were",
            model.__name__,
            names,
            len(changed),
            kept,
        )


def phone_lookup(text: str, *fields: str) -> Q:
    """Rows whose phone in any of `fields` is the number `text`, however it was written."""
    number = phone_normalise(text)
    query = Q()
    for field in fields:
        query |= Q(**{field: number})
    return query


class PhoneSearchAdminMixin:
    """Admin search that also finds a phone typed in any format: the admin's own search (a
    part of the stored text) plus an exact match on the normalised number, over each of the
    `search_fields` that is a `PhoneField`."""

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        phone_fields = [
            path
            for path in self.get_search_fields(request)
            if isinstance(get_fields_from_path(self.model, path)[-1], PhoneField)
        ]
        if phone_fields and _parsed(search_term.strip()) is not None:
            found = found | queryset.filter(phone_lookup(search_term, *phone_fields))
            may_have_duplicates = may_have_duplicates or any("__" in p for p in phone_fields)
        return found, may_have_duplicates
