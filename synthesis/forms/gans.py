"""Forms of the DCGAN pages: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from repository.forms import StrictCheckbox
from repository.vocabulary import Fitzpatrick
from synthesis.ml.dcgan.conditions import AGE_BINS, UNKNOWN, ConditionSpace


class TrainGanForm(forms.Form):
    image_size = forms.TypedChoiceField(
        choices=[(64, "64 px"), (128, "128 px")], coerce=int, initial=64, label=_("Image size")
    )
    steps = forms.IntegerField(min_value=1, initial=5000, label=_("Steps"))
    batch_size = forms.IntegerField(min_value=1, initial=64, label=_("Batch size"))
    width = forms.IntegerField(min_value=1, initial=64, label=_("Network width"))
    seed = forms.IntegerField(min_value=0, initial=0, label=_("Seed"))
    include_approved_synthetic = forms.BooleanField(
        required=False,
        widget=StrictCheckbox,
        label=_("Also train on approved skin-tone transfers"),
    )

    def config(self) -> dict:
        data = self.cleaned_data
        return {
            "image_size": data["image_size"],
            "steps": data["steps"],
            "batch_size": data["batch_size"],
            "g_width": data["width"],
            "d_width": data["width"],
            "seed": data["seed"],
        }


class GenerateForm(forms.Form):
    """Conditions from the model's own vocabulary, or 'fill the thin cells'."""

    fill_thin_cells = forms.BooleanField(
        required=False,
        widget=StrictCheckbox,
        label=_("Fill the thin Fitzpatrick IV–VI cells of the coverage matrix"),
    )
    diagnosis = forms.ChoiceField(required=False, label=_("Diagnosis"))
    fitzpatrick = forms.TypedChoiceField(
        choices=[("", "—"), *Fitzpatrick.choices],
        coerce=int,
        required=False,
        empty_value=None,
        label=_("Fitzpatrick type"),
    )
    age_bin = forms.ChoiceField(required=False, label=_("Age"))
    sex = forms.ChoiceField(required=False, label=_("Sex"))
    body_site = forms.ChoiceField(required=False, label=_("Body site"))
    count = forms.IntegerField(initial=16, label=_("Images per condition"))
    seed = forms.IntegerField(initial=0, label=_("Seed"))

    def __init__(self, *args, space: ConditionSpace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diagnosis"].choices = [("", "—")] + [(d, d) for d in space.vocab["diagnosis"]]
        ages = [label for _upper, label in AGE_BINS]
        for name, values in (
            ("age_bin", ages),
            ("sex", space.vocab["sex"]),
            ("body_site", space.vocab["body_site"]),
        ):
            self.fields[name].choices = [(UNKNOWN, _("any / unknown"))] + [
                (v, v) for v in values if v != UNKNOWN
            ]

    def clean(self):
        data = super().clean()
        if not data.get("fill_thin_cells") and not (
            data.get("diagnosis") and data.get("fitzpatrick")
        ):
            raise forms.ValidationError(
                _("Choose a diagnosis and a Fitzpatrick type, or fill the thin cells.")
            )
        return data

    def conditions(self) -> list[dict]:
        if self.cleaned_data.get("fill_thin_cells"):
            return []
        keys = ("diagnosis", "fitzpatrick", "age_bin", "sex", "body_site")
        return [{k: self.cleaned_data[k] for k in keys if self.cleaned_data.get(k)}]
