"""The augmentation experiment's start form: it parses input; the service decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from repository.forms import MultipleFileField
from synthesis.forms.classifiers import ARCHS, EVAL_CSV_HELP, external_set_clean
from synthesis.models import ClassifierModel, SyntheticImage


class ExperimentForm(forms.Form):
    """The augmentation experiment's start form (checkpoints are a server path: CLI only)."""

    task = forms.ChoiceField(choices=ClassifierModel.Task.choices, label=_("Task"))
    ratios = forms.CharField(
        initial="0,1,3,10",
        label=_("Synthetic images per real image (comma-separated; 0 = real only)"),
    )
    seeds = forms.IntegerField(min_value=1, max_value=20, initial=5, label=_("Seeds per ratio"))
    epochs = forms.IntegerField(min_value=1, max_value=500, initial=10, label=_("Epochs"))
    arch = forms.ChoiceField(choices=[(a, a) for a in ARCHS], label=_("Architecture"))
    image_size = forms.TypedChoiceField(
        choices=[(64, "64"), (128, "128"), (224, "224")],
        coerce=int,
        initial=128,
        label=_("Training resolution (px)"),
    )
    start = forms.ChoiceField(
        choices=[
            ("scratch", _("From scratch")),
            ("self_supervised", _("Self-supervised pre-training on the repository's images")),
        ],
        initial="scratch",
        widget=forms.RadioSelect,
        label=_("Starting point"),
    )
    pretrain_epochs = forms.IntegerField(
        min_value=1, max_value=200, initial=10, label=_("Pre-training epochs")
    )
    methods = forms.MultipleChoiceField(
        choices=SyntheticImage.Method.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Synthesis methods (none ticked: all)"),
    )
    eval_csv = forms.FileField(
        required=False,
        label=_("External evaluation CSV (optional)"),
        help_text=EVAL_CSV_HELP,
    )
    images = MultipleFileField(required=False, label=_("Its image files"))

    def clean(self):
        data = super().clean()
        external_set_clean(self, data, wanted=False)
        return data

    def config(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("arch", "image_size")}
