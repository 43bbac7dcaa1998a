"""Plain words for what a person reads: field names, stored codes and metric keys become the
labels the forms use (“Lower extremity”, not `lower_extremity`)."""

import contextlib

from django import template
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repository.vocabulary import (
    AGE_BIN_CHOICES,
    BodySite,
    Confirmation,
    Fitzpatrick,
    Licence,
    Modality,
    Sex,
)

register = template.Library()

FIELD_LABELS = {
    "diagnosis": gettext_lazy("Diagnosis"),
    "diagnosis_confirmation": gettext_lazy("Confirmed by"),
    "fitzpatrick": gettext_lazy("Fitzpatrick type"),
    "monk_tone": gettext_lazy("Monk skin tone"),
    "modality": gettext_lazy("Modality"),
    "body_site": gettext_lazy("Body site"),
    "age_bin": gettext_lazy("Approximate age"),
    "sex": gettext_lazy("Sex"),
    "licence": gettext_lazy("Licence"),
    "lesion_identifier": gettext_lazy("Lesion identifier"),
    "method": gettext_lazy("Method"),
    "backend": gettext_lazy("Backend"),
    "seed": gettext_lazy("Random seed"),
    "target": gettext_lazy("Target"),
    "alpha": gettext_lazy("Alpha"),
    "ita_deg": gettext_lazy("ITA (degrees)"),
    "handle": gettext_lazy("Model handle"),
    "model_version": gettext_lazy("Model version"),
}
CHOICES = {
    "diagnosis_confirmation": dict(Confirmation.choices),
    "fitzpatrick": dict(Fitzpatrick.choices),
    "modality": dict(Modality.choices),
    "body_site": dict(BodySite.choices),
    "age_bin": dict(AGE_BIN_CHOICES),
    "sex": dict(Sex.choices),
    "licence": dict(Licence.choices),
}
METRIC_LABELS = {
    "accuracy": gettext_lazy("Accuracy"),
    "balanced_accuracy": gettext_lazy("Balanced accuracy"),
    "auc": gettext_lazy("Area under the ROC curve"),
    "malignancy_auc": gettext_lazy("Malignancy: area under the ROC curve"),
    "ece": gettext_lazy("Calibration error (ECE)"),
    "sensitivity_at_specificity": gettext_lazy("Sensitivity at fixed specificity"),
    "sensitivity": gettext_lazy("Sensitivity at fixed specificity"),
    "roc": gettext_lazy("ROC curve"),
    "calibration": gettext_lazy("Calibration"),
}


@register.filter
def field_label(name: str) -> str:
    """`body_site` -> “Body site”; an unknown name with its underscores as spaces."""
    label = FIELD_LABELS.get(name)
    return str(label) if label else str(name).replace("_", " ").capitalize()


@register.filter
def field_value(value, name: str) -> str:
    """A stored value in words: `lower_extremity` -> “Lower extremity”, 45 -> “45–49”,
    5 -> “V”, a diagnosis code -> its name."""
    if value in (None, ""):
        return "—"
    # Stored parameters nest (a backend's solver report, a mask's provenance): each part in
    # words the same way, never a Python repr.
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)}: {field_value(v, k)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(field_value(v, name) for v in value)
    if name == "diagnosis":
        from repository.models import Diagnosis

        found = Diagnosis.objects.filter(code=str(value)).first()
        return found.display_name if found else str(value)
    choices = CHOICES.get(name)
    if choices is not None:
        for key in (value, str(value)):
            if key in choices:
                return str(choices[key])
        try:
            return str(choices[int(value)])
        except (KeyError, TypeError, ValueError):
            pass
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return localize(value)  # 12,5 in Indonesian: a decimal reads as the locale writes it
    return str(value).replace("_", " ") if isinstance(value, str) else str(value)


@register.filter
def metric_label(key: str) -> str:
    """An audit metric's key in words (`sensitivity_at_specificity_0.8` included)."""
    if key in METRIC_LABELS:
        return str(METRIC_LABELS[key])
    prefix = "sensitivity_at_specificity_"
    if str(key).startswith(prefix):
        level = key[len(prefix) :]
        with contextlib.suppress(ValueError):  # a key that is not a number stays as it is
            level = localize(float(level))
        return _("Sensitivity at %(s)s specificity") % {"s": level}
    return str(key).replace("_", " ").capitalize()


@register.filter
def age_label(age_bin) -> str:
    """An age bin as whole years (“45–49”, “90+”)."""
    return field_value(age_bin, "age_bin")


MASK_OUTCOMES = {
    "passed": gettext_lazy("passed the quality check"),
    "empty": gettext_lazy("the mask was empty"),
    "touches_border": gettext_lazy("the mask touches the image border"),
    "fills_frame": gettext_lazy("the mask fills the frame"),
}


@register.filter
def mask_outcome(outcome: str) -> str:
    """What the mask quality check said about one segmenter's mask, in words (stored as a check
    name, or `error: …` with the segmenter's own English text)."""
    outcome = str(outcome)
    if outcome in MASK_OUTCOMES:
        return str(MASK_OUTCOMES[outcome])
    if outcome.startswith("error: "):
        return _("error: %(error)s") % {"error": outcome.removeprefix("error: ")}
    return outcome.replace("_", " ")


@register.filter
def stored_message(text: str) -> str:
    """A message the worker stored in English: in the reader's language when it is a catalogued
    message (its text unchanged otherwise, e.g. an exception's own words)."""
    return _(str(text)) if text else ""
