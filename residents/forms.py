from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.phones import phone_normalise
from residents.models import ClosureLevel, Compound, Household, Need, Resident


class ClosureChangeForm(forms.Form):
    level = forms.ChoiceField(label=_("closure level"), choices=ClosureLevel.choices)
    reason = forms.CharField(label=_("reason"), max_length=300)


class RegisterImportForm(forms.Form):
    compound = forms.ModelChoiceField(label=_("compound"), queryset=Compound.objects.none())
    file = forms.FileField(
        label=_("file"), help_text=_("CSV or XLSX with the columns of the template.")
    )

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds
        if len(compounds) == 1:
            self.fields["compound"].initial = compounds[0]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_MEGABYTES
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; at most %(limit)d MB. Split it by building.")
                % {"size": upload.size / 1024 / 1024, "limit": limit}
            )
        return upload


class ResidentAdminForm(forms.ModelForm):
    needs = forms.MultipleChoiceField(
        label=_("special needs"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Resident
        fields = ["household", "name", "phone", "birth_date", "sex", "care_level", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["needs"].initial = self.instance.need_codes


class HouseholdSearchForm(forms.Form):
    """Step 1 of the hotline: building, unit and room, or a phone number."""

    compound = forms.ModelChoiceField(
        label=_("compound"), queryset=None, required=False, empty_label=_("All my compounds")
    )
    building = forms.CharField(label=_("building"), max_length=30, required=False)
    unit = forms.IntegerField(label=_("unit"), min_value=1, max_value=50, required=False)
    room = forms.CharField(label=_("room"), max_length=20, required=False)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds
        if compounds.count() < 2:
            del self.fields["compound"]

    def clean_phone(self) -> str:
        return phone_normalise(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        by_address = data.get("building") and data.get("room")
        if not by_address and not data.get("phone"):
            raise forms.ValidationError(
                _("Give the building and room, or a phone number."), code="nothing_to_find"
            )
        return data

    def households(self, scope: QuerySet[Household]) -> QuerySet[Household]:
        """The households of `scope` (already limited to the staff's compounds) that match."""
        data = self.cleaned_data
        found = scope
        if data.get("compound"):
            found = found.filter(building__compound=data["compound"])
        if data.get("phone"):
            on_resident = Resident.objects.filter(household=OuterRef("pk"), phone=data["phone"])
            found = found.filter(Q(contact_phone=data["phone"]) | Exists(on_resident))
        if data.get("building"):
            label = data["building"].strip()
            # People say "12" for the building labelled 12号楼.
            found = found.filter(building__label__in=[label, f"{label}号楼"])
        if data.get("room"):
            found = found.filter(room__iexact=data["room"].strip())
        if data.get("unit"):
            found = found.filter(unit=data["unit"])
        return found.order_by("building__compound__name", "building__label", "unit", "room")
