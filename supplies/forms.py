"""Forms of the supplies pages. They parse input; limits, stock and scope are checked by the
services and selectors, so that a refusal reads the same on every page and in the API."""

import re
from collections.abc import Sequence

from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _

from core.validators import validate_event_date
from residents.models import Household, Resident
from supplies.models import Offer, PaymentStatus
from supplies.services.rounds import OfferSpec

MAX_QUANTITY = 999  # far above any limit; the service says what the real limit is


class OrderForm(forms.Form):
    """One quantity per offer of a round, prefilled with the order's current quantities."""

    def __init__(self, *args, offers: Sequence[Offer], current: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = offers
        self.current = current
        for offer in offers:
            self.fields[self.field_name(offer)] = forms.IntegerField(
                label=offer.package_type.name,
                min_value=0,
                max_value=MAX_QUANTITY,
                required=False,
                initial=current.get(offer.pk, 0),
            )

    @staticmethod
    def field_name(offer: Offer) -> str:
        return f"offer-{offer.pk}"

    def rows(self) -> list[tuple[Offer, forms.BoundField, int]]:
        """Each offer, its quantity field, and the most the household could choose now."""
        rows = []
        for offer in self.offers:
            held = self.current.get(offer.pk, 0)
            most = min(offer.limit_per_household, offer.stock + held)
            rows.append((offer, self[self.field_name(offer)], most))
        return rows

    def quantities(self) -> dict[int, int]:
        return {
            offer.pk: self.cleaned_data.get(self.field_name(offer)) or 0 for offer in self.offers
        }


def _digits(field: str):
    """The phone number as stored, without the spaces and dashes people write in it."""
    return Replace(Replace(F(field), Value(" "), Value("")), Value("-"), Value(""))


class HouseholdSearchForm(forms.Form):
    """Step 1 of the hotline: building, unit and room, or a phone number."""

    compound = forms.ModelChoiceField(
        label=_("compound"), queryset=None, required=False, empty_label=_("All my compounds")
    )
    building = forms.CharField(label=_("building"), max_length=30, required=False)
    unit = forms.IntegerField(label=_("unit"), min_value=1, max_value=50, required=False)
    room = forms.CharField(label=_("room"), max_length=20, required=False)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds
        if compounds.count() < 2:
            del self.fields["compound"]

    def clean_phone(self) -> str:
        return re.sub(r"[^0-9+]", "", self.cleaned_data["phone"])

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
            on_resident = Resident.objects.annotate(digits=_digits("phone")).filter(
                household=OuterRef("pk"), digits=data["phone"]
            )
            found = found.annotate(contact_digits=_digits("contact_phone")).filter(
                Q(contact_digits=data["phone"]) | Exists(on_resident)
            )
        if data.get("building"):
            label = data["building"].strip()
            # People say "12" for the building labelled 12号楼.
            found = found.filter(building__label__in=[label, f"{label}号楼"])
        if data.get("room"):
            found = found.filter(room__iexact=data["room"].strip())
        if data.get("unit"):
            found = found.filter(unit=data["unit"])
        return found.order_by("building__compound__name", "building__label", "unit", "room")


class PaymentForm(forms.Form):
    status = forms.ChoiceField(label=_("payment"), choices=PaymentStatus.choices)
    method = forms.CharField(
        label=_("payment method"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"list": "payment-methods"}),
    )
    reference = forms.CharField(label=_("payment reference"), max_length=80, required=False)


class GroupBuyForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=120)
    compounds = forms.ModelMultipleChoiceField(
        label=_("compounds"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    closes_at = forms.DateTimeField(
        label=_("closes at"),
        validators=[validate_event_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compounds"].queryset = compounds
        only = list(compounds[:2])
        if len(only) == 1:
            self.fields["compounds"].initial = [only[0].pk]


class OfferRowForm(forms.Form):
    package_type = forms.ModelChoiceField(label=_("package"), queryset=None, required=False)
    stock = forms.IntegerField(label=_("stock"), min_value=1, max_value=100000, required=False)
    limit_per_household = forms.IntegerField(
        label=_("limit per household"), min_value=1, max_value=99, required=False, initial=1
    )

    def __init__(self, *args, package_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package_type"].queryset = package_types
        self.fields["package_type"].label_from_instance = lambda package: (
            f"{package.name} · ¥{package.unit_price} · {package.supplier.name}"
        )

    def clean(self):
        data = super().clean()
        if data.get("package_type") and not data.get("stock"):
            self.add_error("stock", _("Say how many packs there are."))
        return data


class BaseOfferFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        chosen = [form.cleaned_data["package_type"] for form in self.chosen_forms()]
        if not chosen:
            raise forms.ValidationError(_("Offer at least one package."))
        if len(set(chosen)) != len(chosen):
            raise forms.ValidationError(_("Offer each package only once."))

    def chosen_forms(self) -> list[OfferRowForm]:
        return [form for form in self.forms if form.cleaned_data.get("package_type")]

    def offer_specs(self) -> list[OfferSpec]:
        return [
            OfferSpec(
                package_type=form.cleaned_data["package_type"],
                stock=form.cleaned_data["stock"],
                limit_per_household=form.cleaned_data.get("limit_per_household") or 1,
            )
            for form in self.chosen_forms()
        ]


OfferFormSet = forms.formset_factory(
    OfferRowForm, formset=BaseOfferFormSet, extra=4, max_num=12, validate_max=True
)
