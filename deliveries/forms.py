"""Forms of the staff plan pages and of the collection points' admin."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import validate_event_date
from deliveries.models import CollectionPoint, OrderPlan, PickupSlot
from deliveries.services.planning import ALLOCATE, SCHEDULE
from deliveries.services.points import POINT_FIELDS


class PlanForm(forms.Form):
    """The pickup day, and which step to run: the button pressed sends `kind`."""

    pickup_date = forms.DateField(
        label=_("pickup day"),
        validators=[validate_event_date],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    kind = forms.ChoiceField(choices=[(ALLOCATE, _("Allocate")), (SCHEDULE, _("Schedule"))])

    def clean_pickup_date(self):
        day = self.cleaned_data["pickup_date"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("The pickup day cannot be before today."))
        return day


class CollectionPointAdminForm(forms.ModelForm):
    """Says in words what the model's hours constraint only names."""

    class Meta:
        model = CollectionPoint
        fields = ["compound", *POINT_FIELDS]

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The point must close after it opens."))
        return cleaned


class MealEnrolForm(forms.Form):
    """Enrol one of the committee's elderly or vulnerable residents in meals."""

    resident = forms.ModelChoiceField(label=_("Resident"), queryset=None)
    lunch = forms.BooleanField(label=_("Lunch"), required=False, initial=True)
    dinner = forms.BooleanField(label=_("Dinner"), required=False)
    notes = forms.CharField(
        label=_("Dietary notes"),
        required=False,
        max_length=200,
        help_text=_("For example soft food, low salt."),
    )
    application = forms.BooleanField(label=_("File as an application for approval"), required=False)

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents

    def meals(self) -> list[str]:
        return [m for m in ("lunch", "dinner") if self.cleaned_data.get(m)]


class UncollectedActionForm(forms.Form):
    """A pickup nobody collected, and the later slot to move it to (for a move)."""

    plan = forms.ModelChoiceField(queryset=OrderPlan.objects.none(), label=_("pickup"))
    slot = forms.ModelChoiceField(
        queryset=PickupSlot.objects.none(), required=False, label=_("later slot")
    )
    note = forms.CharField(max_length=300, required=False, label=_("note"))

    def __init__(self, *args, plans, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["slot"].queryset = slots
