"""Controlled vocabularies that are fixed by clinical convention (diagnoses, which grow, live in
the Diagnosis table instead)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from synthesis.ml.fitzpatrick import ROMAN

# Fitzpatrick.IV == 4, labelled with its numeral; parsing lives in synthesis.ml.fitzpatrick.
Fitzpatrick = models.IntegerChoices("Fitzpatrick", [(r, (n, r)) for n, r in ROMAN.items()])


class Modality(models.TextChoices):
    DERMOSCOPIC = "dermoscopic", _("Dermoscopic")
    CLINICAL = "clinical", _("Clinical (close-up)")


class Confirmation(models.TextChoices):
    HISTOPATHOLOGY = "histopathology", _("Histopathology")
    CLINICAL = "clinical", _("Clinical diagnosis")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CONSENSUS = "consensus", _("Expert consensus")
    CONFOCAL = "confocal", _("Confocal microscopy")


class BodySite(models.TextChoices):
    SCALP = "scalp", _("Scalp")
    FACE = "face", _("Face")
    EAR = "ear", _("Ear")
    NECK = "neck", _("Neck")
    CHEST = "chest", _("Chest")
    ABDOMEN = "abdomen", _("Abdomen")
    BACK = "back", _("Back")
    TRUNK = "trunk", _("Trunk")
    UPPER_EXTREMITY = "upper_extremity", _("Upper extremity")
    HAND = "hand", _("Hand")
    LOWER_EXTREMITY = "lower_extremity", _("Lower extremity")
    FOOT = "foot", _("Foot")
    ACRAL = "acral", _("Acral (palms, soles)")
    GENITAL = "genital", _("Genital")
    ORAL_MUCOSA = "oral_mucosa", _("Oral mucosa")
    NAIL = "nail", _("Nail")
    UNKNOWN = "unknown", _("Unknown")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown / not recorded")


class Licence(models.TextChoices):
    CC0 = "CC0-1.0", _("CC0 1.0 (public domain)")
    CC_BY = "CC-BY-4.0", _("CC BY 4.0")
    CC_BY_NC = "CC-BY-NC-4.0", _("CC BY-NC 4.0")


AGE_BIN_WIDTH = 5
AGE_BIN_CHOICES = [(lo, f"{lo}–{lo + AGE_BIN_WIDTH - 1}") for lo in range(0, 90, AGE_BIN_WIDTH)]
AGE_BIN_CHOICES.append((90, "90+"))


def age_to_bin(age: float) -> int:
    """Ages are stored only as 5-year bins (and 90+) so that no exact age leaves the house."""
    if age < 0 or age > 130:
        raise ValueError(f"age {age} is outside 0–130")
    return min(int(age) // AGE_BIN_WIDTH * AGE_BIN_WIDTH, 90)


# HAM10000's `localization` values -> our body sites.
HAM_LOCALIZATION = {
    "abdomen": BodySite.ABDOMEN,
    "acral": BodySite.ACRAL,
    "back": BodySite.BACK,
    "chest": BodySite.CHEST,
    "ear": BodySite.EAR,
    "face": BodySite.FACE,
    "foot": BodySite.FOOT,
    "genital": BodySite.GENITAL,
    "hand": BodySite.HAND,
    "lower extremity": BodySite.LOWER_EXTREMITY,
    "neck": BodySite.NECK,
    "scalp": BodySite.SCALP,
    "trunk": BodySite.TRUNK,
    "upper extremity": BodySite.UPPER_EXTREMITY,
    "unknown": BodySite.UNKNOWN,
}

# HAM10000's `dx_type` -> how the diagnosis was confirmed.
HAM_DX_TYPE = {
    "histo": Confirmation.HISTOPATHOLOGY,
    "follow_up": Confirmation.FOLLOW_UP,
    "consensus": Confirmation.CONSENSUS,
    "confocal": Confirmation.CONFOCAL,
}
