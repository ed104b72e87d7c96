"""Query filters shared by every app's API: every FilterSet is `core.filters.FilterSet`, so
that a filter made from a model field reads what the schema says it takes (a whole number, true
or false, a plain id) and answers 400 to anything else, rather than a silently empty or
unfiltered list."""

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from django_filters.rest_framework import DjangoFilterBackend


class WholeNumberFilter(django_filters.NumberFilter):
    """A count or a level in a query (`?care_level=3`): `0.5` or `²` is a 400 (NumberFilter
    reads decimals)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        # A larger number would overflow the database's 64-bit integer.
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class IdFilter(WholeNumberFilter):
    """An object's id in a query (`?compound=3`): a positive whole number, never checked
    against all rows, so that a filter cannot tell whether another committee's row exists."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
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


_WHOLE_NUMBER = {"filter_class": WholeNumberFilter}
_ID = {"filter_class": IdFilter}


class FilterSet(django_filters.FilterSet):
    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.BooleanField: {"filter_class": YesNoFilter},
        models.IntegerField: _WHOLE_NUMBER,
        models.SmallIntegerField: _WHOLE_NUMBER,
        models.BigIntegerField: _WHOLE_NUMBER,
        models.PositiveIntegerField: _WHOLE_NUMBER,
        models.PositiveSmallIntegerField: _WHOLE_NUMBER,
        models.PositiveBigIntegerField: _WHOLE_NUMBER,
        models.AutoField: _ID,
        models.BigAutoField: _ID,
        models.ForeignKey: _ID,
        models.OneToOneField: _ID,
    }


class FilterBackend(DjangoFilterBackend):
    """DRF's filter backend with our FilterSet, also for a view's plain `filterset_fields`."""

    filterset_base = FilterSet
