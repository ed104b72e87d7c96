"""Forms of the volunteers' pages. They parse input; eligibility, scope and places are checked
by the services, so that a refusal reads the same on every page and in the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import validate_event_date
from volunteers.models import Affiliation, TestKind, Workgroup

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RegisterForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=60)
    phone = forms.CharField(
        label=_("phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    password = forms.CharField(
        label=_("password"),
        max_length=128,
        help_text=_("Your login name is given to you when you register: write it down."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    affiliation = forms.ChoiceField(label=_("affiliation"), choices=Affiliation.choices)
    employer = forms.CharField(label=_("employer"), max_length=100, required=False)
    workgroups = forms.MultipleChoiceField(
        label=_("workgroups"),
        choices=Workgroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    compounds = forms.ModelMultipleChoiceField(
        label=_("compounds"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave empty to help in any compound of the committee."),
    )

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compounds"].queryset = compounds


class TestForm(forms.Form):
    kind = forms.ChoiceField(label=_("test"), choices=TestKind.choices)
    taken_at = forms.DateTimeField(
        label=_("taken at"), widget=DATETIME_WIDGET, validators=[validate_event_date]
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("reason for rejection"), max_length=300)


class TimeBlockForm(forms.Form):
    start = forms.DateTimeField(
        label=_("from"), widget=DATETIME_WIDGET, validators=[validate_event_date]
    )
    end = forms.DateTimeField(
        label=_("until"), widget=DATETIME_WIDGET, validators=[validate_event_date]
    )


class ShiftForm(TimeBlockForm):
    compound = forms.ModelChoiceField(label=_("compound"), queryset=None)
    workgroup = forms.ChoiceField(label=_("workgroup"), choices=Workgroup.choices)
    needed = forms.IntegerField(label=_("people needed"), min_value=1, max_value=1000, initial=1)
    notes = forms.CharField(label=_("notes"), max_length=300, required=False)
    field_order = ["compound", "workgroup", "start", "end", "needed", "notes"]

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds


class RelayForm(TimeBlockForm):
    volunteers = forms.ModelMultipleChoiceField(
        label=_("volunteers"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    to_compound = forms.ModelChoiceField(label=_("to compound"), queryset=None)
    to_workgroup = forms.ChoiceField(label=_("to workgroup"), choices=Workgroup.choices)
    reason = forms.CharField(label=_("reason"), max_length=300)
    field_order = ["volunteers", "to_compound", "to_workgroup", "start", "end", "reason"]

    def __init__(self, *args, volunteers, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteers"].queryset = volunteers
        self.fields["to_compound"].queryset = compounds
