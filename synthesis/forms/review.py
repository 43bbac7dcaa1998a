"""Forms of the review pages: they parse input; synthesis.services.review decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from repository.models import Diagnosis
from repository.vocabulary import Fitzpatrick
from synthesis.models import Review, SyntheticImage

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
REALISM = [(n, str(n)) for n in range(1, 6)]


def _yes(value: str) -> bool:
    return value == "yes"


class ReviewFilterForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Method"), required=False, choices=[("", _("any"))] + SyntheticImage.Method.choices
    )
    fitzpatrick = forms.TypedChoiceField(
        label=_("Target Fitzpatrick type"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("any"))] + Fitzpatrick.choices,
    )
    diagnosis = forms.ChoiceField(label=_("Diagnosis"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diagnosis"].choices = [("", _("any"))] + [
            (d.code, str(d)) for d in Diagnosis.objects.order_by("name")
        ]

    def filters(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v}


class ScoresForm(forms.Form):
    realism = forms.TypedChoiceField(
        label=_("Realism (1–5)"), choices=REALISM, coerce=int, widget=forms.RadioSelect
    )


class ReviewForm(ScoresForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Review.Decision.choices, widget=forms.RadioSelect
    )
    field_order = ["decision", "realism"]
    tone_correct = forms.TypedChoiceField(
        label=_("Skin tone correct"), choices=YES_NO, coerce=_yes, widget=forms.RadioSelect
    )
    features_preserved = forms.TypedChoiceField(
        label=_("Diagnostic features preserved"),
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (required when rejecting)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SettleForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Review.Decision.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
