from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from residents.models import ClosureLevel, Compound, Need, Resident


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
