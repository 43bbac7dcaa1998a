"""The tone-transfer job form: image filters, targets and the backend."""

from django import forms
from django.utils.translation import gettext_lazy as _

from repository.forms import ImageFilterForm
from repository.numbers import ascii_whole
from repository.vocabulary import Fitzpatrick
from synthesis.ml.tone_transfer import BACKENDS, DEFAULT_BACKEND
from synthesis.models import StyleTemplate

BACKEND_LABELS = {
    "melanin": _("melanin (adds epidermal melanin, keeps the lesion's texture)"),
    "lab-stats": _("lab-stats (matches the skin's Lab statistics)"),
    "magenta": _("magenta (TF-Hub arbitrary image stylization; needs a model handle)"),
    "chromophore": _(
        "chromophore (default: re-renders each pixel's melanin and blood through the skin "
        "model; keeps lesions visible)"
    ),
}


class TargetMode:
    TYPES = "types"
    ITA = "ita"
    TEMPLATES = "templates"
    CHOICES = [
        (TYPES, _("Fitzpatrick types")),
        (ITA, _("An ITA angle")),
        (TEMPLATES, _("A mix of two style templates")),
    ]


class ToneJobForm(ImageFilterForm):
    """Image filters as on the image list, then targets and the backend."""

    FILTER_FIELDS = ("diagnosis", "fitzpatrick", "body_site", "modality")

    image_ids = forms.CharField(
        required=False,
        label=_("Only these image numbers"),
        help_text=_("Optional, comma-separated, e.g. 12, 15, 31. Leave empty to use the filters."),
    )
    mode = forms.ChoiceField(
        choices=TargetMode.CHOICES,
        initial=TargetMode.TYPES,
        widget=forms.RadioSelect,
        label=_("Target"),
    )
    fitzpatrick_targets = forms.TypedMultipleChoiceField(
        choices=Fitzpatrick.choices,
        coerce=int,
        required=False,
        initial=[4, 5, 6],
        widget=forms.CheckboxSelectMultiple,
        label=_("Target Fitzpatrick types"),
    )
    ita = forms.FloatField(required=False, label=_("Target ITA (degrees, −90 to 90)"))
    template_a = forms.ModelChoiceField(
        queryset=StyleTemplate.objects.active(), required=False, label=_("Template A (α = 0)")
    )
    template_b = forms.ModelChoiceField(
        queryset=StyleTemplate.objects.active(), required=False, label=_("Template B (α = 1)")
    )
    alpha = forms.FloatField(required=False, label=_("Alpha (0 to 1)"))
    backend = forms.ChoiceField(
        choices=[(name, BACKEND_LABELS.get(name, name)) for name in BACKENDS],
        initial=DEFAULT_BACKEND,
        label=_("Backend"),
    )
    handle = forms.CharField(
        required=False,
        label=_("Magenta model handle"),
        help_text=_("A local SavedModel folder on the worker, not a URL (magenta only)."),
    )
    seed = forms.IntegerField(
        initial=0,
        min_value=0,
        label=_("Random seed"),
        help_text=_("A whole number: each output's skin colour is drawn from it (reproducible)."),
        error_messages={"invalid": _("The seed must be a whole number from 0 up.")},
    )
    target_distribution = forms.FileField(
        required=False,
        label=_("Target distribution (JSON, optional)"),
        help_text=_(
            "Per-type skin colour distributions to draw from, with all six types; "
            "empty: the published colorimetry PixGen ships."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("request", None)

    def clean_target_distribution(self):
        upload = self.cleaned_data.get("target_distribution")
        if not upload:
            return None
        if upload.size > 64 * 1024:
            raise forms.ValidationError(_("A target distribution file is at most 64 KB."))
        return upload.read()

    def clean_image_ids(self):
        text = self.cleaned_data.get("image_ids", "").replace("#", "")
        parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
        if not all(ascii_whole(p) is not None for p in parts):
            raise forms.ValidationError(_("Give image numbers separated by commas."))
        return [int(p) for p in parts]

    def targets(self) -> list[dict]:
        """The chosen targets, as the service takes them (it checks them)."""
        data = self.cleaned_data
        if data["mode"] == TargetMode.ITA:
            return [{"kind": "ita", "ita_deg": data.get("ita")}]
        if data["mode"] == TargetMode.TEMPLATES:
            return [
                {
                    "kind": "templates",
                    "template_a": data.get("template_a") and data["template_a"].pk,
                    "template_b": data.get("template_b") and data["template_b"].pk,
                    "alpha": data.get("alpha"),
                }
            ]
        return [
            {"kind": "fitzpatrick", "fitzpatrick": t} for t in data.get("fitzpatrick_targets") or []
        ]

    def image_filter(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in self.FILTER_FIELDS}
