from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from repository.vocabulary import (
    AGE_BIN_CHOICES,
    BodySite,
    Confirmation,
    Fitzpatrick,
    Licence,
    Modality,
    Sex,
)

# Why a photograph could not be graded, by the code synthesis.ml.skin_tone gives.
TONE_REASONS = {
    "too_small": _("The image is too small to grade."),
    "greyscale": _("The image is greyscale: skin tone cannot be read without colour."),
    "too_dark": _("The image is nearly black: the skin is too dark to read (underexposed)."),
    "overexposed": _("The image is blown out: too much of it is clipped white."),
    "too_little_skin": _(
        "Too little healthy skin is visible once the lesion, its border, hair, glare, shadow "
        "and the background are left out."
    ),
    "heavy_cast": _(
        "The lighting has a heavy colour cast and nothing white or grey in the frame lets us "
        "correct it."
    ),
    "not_skin_coloured": _(
        "No part of the image has a colour skin can have under plausible light."
    ),
}


# The catalogue filters a public page is most often narrowed by, most selective first.
_PAGE_FILTER_COLUMNS = (
    "diagnosis",
    "fitzpatrick",
    "body_site",
    "age_bin",
    "sex",
    "monk_tone",
    "modality",
    "licence",
)


def _without(column: str) -> list[str]:
    return [c for c in _PAGE_FILTER_COLUMNS if c != column]


class LesionImageQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status=LesionImage.Status.PUBLIC)

    def pending(self):
        return self.filter(status=LesionImage.Status.PENDING)

    def visible_to(self, user):
        """Public images for everyone; a contributor also sees their own; moderators see all."""
        if user.is_authenticated and user.is_moderator:
            return self
        if user.is_authenticated:
            return self.filter(
                models.Q(status=LesionImage.Status.PUBLIC) | models.Q(contributor=user)
            )
        return self.public()

    def tone_flagged(self):
        return self.filter(tone_flagged=True)


class LesionImage(models.Model):
    """A de-identified master image with its clinical labels, contributor and licence."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending moderation")
        PUBLIC = "public", _("Public")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class AnalysisStatus(models.TextChoices):
        PENDING = "pending", _("Waiting for analysis")
        DONE = "done", _("Analysed")
        FAILED = "failed", _("Analysis failed")

    class MaskSource(models.TextChoices):
        CLASSICAL = "classical", _("Classical segmenter")
        LEARNED = "learned", _("Learned segmenter")
        MANUAL = "manual", _("Drawn or uploaded by a person")

    image = models.FileField(_("image"), max_length=255)
    thumbnail = models.FileField(_("thumbnail"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the de-identified pixels"), max_length=64, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file_format = models.CharField(max_length=8)
    file_size = models.PositiveIntegerField()

    modality = models.CharField(_("modality"), max_length=16, choices=Modality.choices)
    diagnosis = models.ForeignKey(
        "repository.Diagnosis", on_delete=models.PROTECT, related_name="images"
    )
    diagnosis_confirmation = models.CharField(
        _("diagnosis confirmed by"), max_length=16, choices=Confirmation.choices
    )
    fitzpatrick = models.PositiveSmallIntegerField(
        _("Fitzpatrick type"), choices=Fitzpatrick.choices
    )
    monk_tone = models.PositiveSmallIntegerField(
        _("Monk skin tone"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    body_site = models.CharField(_("body site"), max_length=24, choices=BodySite.choices)
    age_bin = models.PositiveSmallIntegerField(
        _("approximate age"), null=True, blank=True, choices=AGE_BIN_CHOICES
    )
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    licence = models.CharField(_("licence"), max_length=16, choices=Licence.choices)
    consent_attested = models.BooleanField(_("consent attested"))
    lesion_identifier = models.CharField(
        _("lesion identifier"),
        max_length=64,
        blank=True,
        help_text=_("Groups several images of one lesion."),
    )
    source_note = models.CharField(
        _("source"), max_length=255, blank=True, help_text=_("Where an imported image came from.")
    )
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contributions"
    )
    request = models.ForeignKey(
        "repository.ImageRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="images",
    )

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    analysis_status = models.CharField(
        max_length=16, choices=AnalysisStatus.choices, default=AnalysisStatus.PENDING
    )
    analysis_error = models.TextField(blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    # When its analysis task reached the broker; null while the analysis waits for the broker.
    analysis_dispatched_at = models.DateTimeField(null=True, blank=True)
    mask = models.FileField(_("lesion mask"), max_length=255, blank=True)
    mask_source = models.CharField(max_length=16, choices=MaskSource.choices, blank=True)
    # Which segmenter made the stored mask (a version name; empty for a person's mask) and
    # what the quality check said about each attempt (synthesis.ml.lesion_masks.MaskResult).
    mask_segmenter = models.CharField(_("mask made by"), max_length=64, blank=True)
    mask_check = models.JSONField(_("mask quality check"), default=dict, blank=True)
    needs_mask = models.BooleanField(
        _("needs a mask from a person"),
        default=False,
        db_index=True,
        help_text=_("Every automatic mask failed the quality check."),
    )
    ita_deg = models.FloatField(_("ITA (degrees)"), null=True, blank=True)
    measured_fitzpatrick = models.PositiveSmallIntegerField(
        _("Fitzpatrick estimate from ITA"), null=True, blank=True, choices=Fitzpatrick.choices
    )
    tone_measurement = models.JSONField(default=dict, blank=True)
    tone_flagged = models.BooleanField(
        _("measured tone disagrees with label"), default=False, db_index=True
    )

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LesionImageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The catalogue's page order: public rows, newest first, id as the tie-break.
            models.Index(fields=["status", "-created_at", "-id"], name="lesionimage_status_newest"),
            # Public pages in order, one index per leading filter (none, a diagnosis, a type);
            # the other filter columns are keys too, so a filter is checked in the index
            # instead of on each table row (see _PAGE_FILTER_COLUMNS).
            models.Index(
                fields=["-created_at", "-id", *_PAGE_FILTER_COLUMNS],
                condition=models.Q(status="public"),
                name="lesionimage_public_newest",
            ),
            models.Index(
                fields=["diagnosis", "-created_at", "-id", *_without("diagnosis")],
                condition=models.Q(status="public"),
                name="lesionimage_public_dx",
            ),
            models.Index(
                fields=["fitzpatrick", "-created_at", "-id", *_without("fitzpatrick")],
                condition=models.Q(status="public"),
                name="lesionimage_public_fitz",
            ),
            models.Index(fields=["status", "diagnosis", "fitzpatrick"]),
            models.Index(fields=["contributor", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fitzpatrick__gte=1, fitzpatrick__lte=6),
                name="lesionimage_fitzpatrick_1_6",
            ),
            models.CheckConstraint(
                condition=models.Q(consent_attested=True), name="lesionimage_consent_attested"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.diagnosis.code} Fitzpatrick {self.get_fitzpatrick_display()}"

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLIC

    @property
    def tone(self) -> dict | None:
        """The stored measurement, shaped for pages: reasons translated, shares as percent."""
        m = self.tone_measurement or {}
        if self.analysis_status != self.AnalysisStatus.DONE or "gradable" not in m:
            return None
        if not m["gradable"]:
            reasons = [TONE_REASONS.get(r["code"], r["message"]) for r in m["not_gradable"]]
            return {"gradable": False, "reasons": reasons, "method": m["method_version"]}
        fitz, monk = m["fitzpatrick"], m["monk"]
        call = fitz["call"]
        return {
            "gradable": True,
            "method": m["method_version"],
            "ita": m["ita_deg"],
            "ita_low": m["ita_interval"][0],
            "ita_high": m["ita_interval"][1],
            "fitzpatrick": fitz["label"],
            "fitzpatrick_confidence": round(100 * fitz["confidence"]),
            "group": call if call != "cannot tell" else None,
            "group_confidence": round(100 * fitz["group_confidence"]),
            "monk": monk["estimate"],
            "monk_confidence": round(100 * monk["confidence"]),
            "melanin_index": m["melanin_index"],
            "illumination": m["illumination"]["method"],
        }

    def can_be_seen_by(self, user) -> bool:
        return LesionImage.objects.visible_to(user).filter(pk=self.pk).exists()
