"""Forms of the classifier and bias-audit pages: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from repository.forms import MultipleFileField, StrictCheckbox
from synthesis.models import ClassifierModel, SyntheticImage
from synthesis.services.files import names_chosen_twice

ARCHS = ["resnet18", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0"]


class TrainClassifierForm(forms.Form):
    task = forms.ChoiceField(choices=ClassifierModel.Task.choices, label=_("Task"))
    with_synthetic = forms.BooleanField(
        required=False,
        widget=StrictCheckbox,
        label=_("Add approved synthetic images to the training part"),
    )
    methods = forms.MultipleChoiceField(
        choices=SyntheticImage.Method.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Synthesis methods (none ticked: all)"),
    )
    model_versions = forms.CharField(
        required=False,
        label=_("Model versions (comma-separated; empty: all)"),
    )
    arch = forms.ChoiceField(choices=[(a, a) for a in ARCHS], label=_("Architecture"))
    epochs = forms.IntegerField(min_value=1, max_value=500, initial=10, label=_("Epochs"))
    image_size = forms.TypedChoiceField(
        choices=[(64, "64"), (128, "128"), (224, "224")],
        coerce=int,
        initial=128,
        label=_("Training resolution (px)"),
    )
    seed = forms.IntegerField(min_value=0, initial=0, label=_("Seed"))

    def selection(self) -> dict:
        versions = self.cleaned_data.get("model_versions") or ""
        return {
            "methods": self.cleaned_data.get("methods") or [],
            "model_versions": [v.strip() for v in versions.split(",") if v.strip()],
        }

    def config(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("arch", "epochs", "image_size", "seed")}


# The external evaluation CSV's layout, shared by the audit and the experiment forms.
EVAL_CSV_HELP = _(
    "Columns image, fitzpatrick (1–6, I–VI or a group 12/34/56) and diagnosis and/or "
    "malignant (0/1)."
)


def external_set_clean(form, data: dict, *, wanted: bool) -> None:
    """The audit's and the experiment's one rule for an external set's `eval_csv` and
    `images`: they come together (both, when `wanted`), and no image file is chosen twice."""
    images = form.files.getlist("images")
    duplicates = names_chosen_twice(images)
    if duplicates:
        form.add_error(
            "images", _("Image file(s) chosen twice: %(n)s.") % {"n": ", ".join(duplicates)}
        )
    if not data.get("eval_csv") and (wanted or images):
        form.add_error(
            "eval_csv",
            _("Choose the evaluation CSV.")
            if wanted
            else _("Choose the CSV that names these images."),
        )
    if (wanted or data.get("eval_csv")) and not images:
        form.add_error("images", _("Choose the image files the CSV names."))


class AuditForm(forms.Form):
    source = forms.ChoiceField(
        choices=[
            ("held_out", _("The model's held-out split of the repository")),
            ("external", _("An external labelled set (CSV + images)")),
        ],
        initial="held_out",
        widget=forms.RadioSelect,
        label=_("Evaluate on"),
    )
    eval_csv = forms.FileField(
        required=False,
        label=_("Evaluation CSV"),
        help_text=EVAL_CSV_HELP,
    )
    images = MultipleFileField(required=False, label=_("Its image files"))

    def clean(self):
        data = super().clean()
        if data.get("source") == "external":
            external_set_clean(self, data, wanted=True)
        return data
