"""Forms of the blinded-review pages: they parse input; synthesis.services.blind_review decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from synthesis.forms.review import REALISM, YES_NO, _yes
from synthesis.services.blind_review import MAX_SIZE, MIN_SIZE


class BlindStartForm(forms.Form):
    size = forms.IntegerField(
        label=_("Images (half real, half synthetic)"),
        min_value=MIN_SIZE,
        max_value=MAX_SIZE,
        initial=20,
        widget=forms.NumberInput(attrs={"step": 2, "inputmode": "numeric"}),
    )


class BlindJudgementForm(forms.Form):
    said_real = forms.TypedChoiceField(
        label=_("This image is"),
        choices=[("real", _("Real")), ("synthetic", _("Synthetic"))],
        coerce=lambda value: value == "real",
        widget=forms.RadioSelect,
    )
    realism = forms.TypedChoiceField(
        label=_("Realism (1–5)"), choices=REALISM, coerce=int, widget=forms.RadioSelect
    )
    tone_correct = forms.TypedChoiceField(
        label=_("Skin tone correct"), choices=YES_NO, coerce=_yes, widget=forms.RadioSelect
    )
    features_preserved = forms.TypedChoiceField(
        label=_("Diagnostic features preserved"),
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
    )
