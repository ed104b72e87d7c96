"""Query filters shared by every app's API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _


class IdFilter(django_filters.NumberFilter):
    """An object's id in a query (`?compound=3`): a whole number, so `0.5` or `²` is a 400,
    not a silently empty list (NumberFilter reads decimals)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        # Ids are positive 64-bit numbers; a larger one would overflow the database's integer.
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class YesNoField(forms.NullBooleanField):
    """true or false and nothing else, as the schema says: `?active=null` or `?active=0` is a
    mistake to answer, not a filter to drop."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if str(value).lower() == "true":
            return True
        if str(value).lower() == "false":
            return False
        raise forms.ValidationError(_("Say true or false."), code="invalid")


class YesNoFilter(django_filters.BooleanFilter):
    field_class = YesNoField

    def __init__(self, *args, **kwargs):
        # BooleanFilter's widget reads anything but true/false as "no filter" before the field.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)
