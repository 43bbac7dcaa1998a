"""Validation of the clinical metadata that travels with an image, shared by the web form, the
API, the batch CSV and the CLI."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from repository.models import Diagnosis, ImageRequest
from repository.vocabulary import (
    AGE_BIN_CHOICES,
    BodySite,
    Confirmation,
    Licence,
    Modality,
    Sex,
)
from synthesis.ml.fitzpatrick import parse_type

_AGE_BINS = {value for value, _label in AGE_BIN_CHOICES}


def _whole(value) -> int | None | bool:
    """None for blank, the integer, or False when the value is not a whole number."""
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return False


@dataclass
class ImageMetadata:
    diagnosis: str | Diagnosis
    fitzpatrick: int | str
    modality: str
    diagnosis_confirmation: str
    body_site: str
    licence: str
    consent_attested: bool
    sex: str = Sex.UNKNOWN
    age_bin: int | None = None
    monk_tone: int | None = None
    lesion_identifier: str = ""
    source_note: str = ""
    request: ImageRequest | int | None = None

    def cleaned(self) -> dict:
        """Return model field values, or raise ValidationError naming each bad field."""
        errors: dict[str, str] = {}
        values: dict = {}
        diagnosis = self.diagnosis
        if not isinstance(diagnosis, Diagnosis):
            diagnosis = (
                Diagnosis.objects.active().filter(code=str(diagnosis).strip().lower()).first()
            )
            if diagnosis is None:
                errors["diagnosis"] = _("Unknown diagnosis %(code)r.") % {"code": self.diagnosis}
        values["diagnosis"] = diagnosis
        try:
            values["fitzpatrick"] = parse_type(self.fitzpatrick)
        except ValueError:
            errors["fitzpatrick"] = _("Fitzpatrick type must be I–VI (1–6), not %(v)r.") % {
                "v": self.fitzpatrick
            }
        for name, choices in (
            ("modality", Modality),
            ("diagnosis_confirmation", Confirmation),
            ("body_site", BodySite),
            ("licence", Licence),
            ("sex", Sex),
        ):
            value = getattr(self, name)
            if value not in choices.values:
                errors[name] = _("%(v)r is not one of: %(allowed)s.") % {
                    "v": value,
                    "allowed": ", ".join(choices.values),
                }
            values[name] = value
        if self.consent_attested is not True:
            errors["consent_attested"] = _(
                "You must attest that the patient consented to sharing this image."
            )
        values["consent_attested"] = True
        values["age_bin"] = _whole(self.age_bin)
        if values["age_bin"] is False or values["age_bin"] not in (*_AGE_BINS, None):
            errors["age_bin"] = _("Age must be a 5-year bin (0, 5, 10, … 90).")
        values["monk_tone"] = _whole(self.monk_tone)
        if values["monk_tone"] is False or (
            values["monk_tone"] is not None and not 1 <= values["monk_tone"] <= 10
        ):
            errors["monk_tone"] = _("Monk skin tone must be 1–10.")
        values["lesion_identifier"] = str(self.lesion_identifier or "").strip()[:64]
        values["source_note"] = str(self.source_note or "").strip()[:255]
        values["request"] = self._cleaned_request(values, errors)
        if errors:
            raise ValidationError(errors)
        return values

    def _cleaned_request(self, values: dict, errors: dict) -> ImageRequest | None:
        request = self.request
        if request in (None, ""):
            return None
        if not isinstance(request, ImageRequest):
            number = _whole(request)
            if not number or not 1 <= number < 2**63:
                errors["request"] = _("%(v)r is not the number of an image request.") % {
                    "v": request
                }
                return None
            request = ImageRequest.objects.filter(pk=number).first()
            if request is None:
                errors["request"] = _("That image request does not exist.")
                return None
        diagnosis, fitzpatrick = values.get("diagnosis"), values.get("fitzpatrick")
        if (
            diagnosis is not None
            and fitzpatrick is not None
            and not request.accepts(diagnosis_id=diagnosis.pk, fitzpatrick=fitzpatrick)
        ):
            errors["request"] = _(
                "This image does not match the request (%(request)s), or the request is closed."
            ) % {"request": request}
        return request
