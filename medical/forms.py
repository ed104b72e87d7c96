"""Forms of the medical pages. They parse input; scope and order of steps are checked by the
services, so that a refusal reads the same on every page and in the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import validate_event_date
from medical.models import CheckInKind, CustodyItem, Holder, TransportKind, Urgency

ITEM_ROWS = 3


class MedicineRequestForm(forms.Form):
    resident = forms.ModelChoiceField(label=_("for"), queryset=None)
    hospital = forms.CharField(label=_("hospital or pharmacy"), max_length=100)
    urgency = forms.ChoiceField(
        label=_("urgency"), choices=Urgency.choices, widget=forms.RadioSelect
    )
    chronic = forms.BooleanField(label=_("chronic prescription"), required=False)

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents
        for row in range(1, ITEM_ROWS + 1):
            self.fields[f"medicine_{row}"] = forms.CharField(
                label=_("medicine"),
                max_length=100,
                required=row == 1,
            )
            self.fields[f"strength_{row}"] = forms.CharField(
                label=_("strength"), max_length=50, required=False
            )
            self.fields[f"quantity_{row}"] = forms.IntegerField(
                label=_("quantity"), min_value=1, max_value=999, initial=1, required=False
            )

    def item_rows(self):
        """The rows of item fields, for the template: [(medicine, strength, quantity), …]."""
        return [
            (self[f"medicine_{row}"], self[f"strength_{row}"], self[f"quantity_{row}"])
            for row in range(1, ITEM_ROWS + 1)
        ]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        items = [
            {
                "medicine": data[f"medicine_{row}"],
                "strength": data[f"strength_{row}"],
                "quantity": data[f"quantity_{row}"],  # None (left empty) means one
            }
            for row in range(1, ITEM_ROWS + 1)
            if data.get(f"medicine_{row}")
        ]
        return {
            "resident": data["resident"],
            "hospital": data["hospital"],
            "urgency": data["urgency"],
            "chronic": data["chronic"],
            "items": items,
        }


class CustodyForm(forms.Form):
    item = forms.ChoiceField(label=_("item"), choices=CustodyItem.choices)
    to_holder = forms.ChoiceField(label=_("to"), choices=Holder.choices)


class PurchasedForm(forms.Form):
    cost = forms.DecimalField(
        label=_("cost (yuan)"), max_digits=8, decimal_places=2, min_value=0, required=False
    )
    receipt = forms.CharField(label=_("receipt number"), max_length=200, required=False)


class SubstituteForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    substitute = forms.CharField(label=_("substitute"), max_length=150)
    note = forms.CharField(label=_("note"), max_length=300, required=False)


DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TransportForm(forms.Form):
    resident = forms.ModelChoiceField(label=_("resident"), queryset=None)
    kind = forms.ChoiceField(label=_("kind"), choices=TransportKind.choices)
    hospital = forms.CharField(label=_("hospital"), max_length=100)
    appointment_at = forms.DateTimeField(
        label=_("appointment at"), widget=DATETIME_WIDGET, validators=[validate_event_date]
    )
    recurrence = forms.CharField(
        label=_("recurrence"),
        max_length=100,
        required=False,
        help_text=_("For example Mon, Wed, Fri for dialysis."),
    )
    escort = forms.ModelChoiceField(label=_("escort"), queryset=None, required=False)
    vehicle = forms.CharField(label=_("vehicle"), max_length=60, required=False)

    def __init__(self, *args, residents, volunteers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents
        self.fields["escort"].queryset = volunteers


class TripRequestForm(forms.Form):
    """A household asks for a trip; staff add the escort and the vehicle when they confirm."""

    resident = forms.ModelChoiceField(label=_("resident"), queryset=None)
    kind = forms.ChoiceField(label=_("kind"), choices=TransportKind.choices)
    hospital = forms.CharField(label=_("hospital"), max_length=100)
    appointment_at = forms.DateTimeField(
        label=_("appointment at"), widget=DATETIME_WIDGET, validators=[validate_event_date]
    )
    recurrence = forms.CharField(
        label=_("recurrence"),
        max_length=100,
        required=False,
        help_text=_("For example Mon, Wed, Fri for dialysis."),
    )

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents


class CheckInForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=CheckInKind.choices)
    note = forms.CharField(label=_("note"), max_length=300, required=False)
