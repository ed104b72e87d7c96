"""Forms of the supplies pages. They parse input; limits, stock and scope are checked by the
services and selectors, so that a refusal reads the same on every page and in the API."""

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import validate_event_date
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
