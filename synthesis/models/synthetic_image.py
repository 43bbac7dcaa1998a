from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from repository.vocabulary import AGE_BIN_CHOICES, BodySite, Fitzpatrick, Licence, Sex

# The filter columns, and the source whose status public() checks: with it in the index a
# page's ids come from the index alone (no table row read per candidate).
_PAGE_FILTER_COLUMNS = (
    "diagnosis",
    "fitzpatrick",
    "body_site",
    "age_bin",
    "sex",
    "licence",
    "source_image",
)


def _without(column: str) -> list[str]:
    return [c for c in _PAGE_FILTER_COLUMNS if c != column]


class SyntheticImageQuerySet(models.QuerySet):
    def pending_review(self):
        return self.filter(status=SyntheticImage.Status.PENDING_REVIEW)

    def public(self):
        """Approved, and derived from an image that is itself still public (if any): a
        withdrawn source takes its derivatives out of the open database with it."""
        return self.filter(status=SyntheticImage.Status.APPROVED).filter(
            models.Q(source_image__isnull=True) | models.Q(source_image__status="public")
        )

    def visible_to(self, user):
        """Moderators and reviewers see every synthetic image; everyone else approved ones only."""
        if user.is_authenticated and (user.is_moderator or user.is_reviewer):
            return self
        return self.public()


class SyntheticImage(models.Model):
    """A generated image with its full provenance; public only after dermatologist review."""

    class Method(models.TextChoices):
        TONE_TRANSFER = "tone_transfer", _("Skin-tone transfer")
        DCGAN = "dcgan", _("Conditional DCGAN")

    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        # Reviewers disagreed: a moderator settles it.
        DISPUTED = "disputed", _("Disputed — awaiting a moderator")

    image = models.FileField(_("image"), max_length=255)
    thumbnail = models.FileField(_("thumbnail"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the pixels"), max_length=64, db_index=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    method = models.CharField(max_length=32, choices=Method.choices)
    backend = models.CharField(max_length=32, blank=True)
    # The backend's code version for tone transfer; a trained model's version for a generator.
    model_version = models.CharField(max_length=64, blank=True)
    source_image = models.ForeignKey(
        "repository.LesionImage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="synthetic_images",
    )
    diagnosis = models.ForeignKey(
        "repository.Diagnosis", on_delete=models.PROTECT, related_name="+"
    )
    fitzpatrick = models.PositiveSmallIntegerField(
        _("target Fitzpatrick type"), null=True, blank=True, choices=Fitzpatrick.choices
    )
    target = models.JSONField(default=dict)
    templates = models.ManyToManyField(
        "synthesis.StyleTemplate", blank=True, related_name="synthetic_images"
    )
    params = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField(default=0)
    measurements = models.JSONField(default=dict, blank=True)
    measured_ita = models.FloatField(_("skin ITA after transfer"), null=True, blank=True)
    in_band = models.BooleanField(_("skin tone in the target band"), null=True)
    # The skin colour drawn for this output from real skin of its type (L*, a*, b*, hue, ITA,
    # the seed and the distribution), so the gallery shows what each output aimed at.
    target_draw = models.JSONField(default=dict, blank=True)
    # Measured on the whole output by the skin-tone estimator, never by a backend's solver.
    skin_tone = models.JSONField(default=dict, blank=True)
    lesion_fidelity = models.JSONField(default=dict, blank=True)
    lesion_fidelity_ok = models.BooleanField(_("lesion stays visible"), null=True)
    realism_score = models.FloatField(_("realism score (lower is closer to real skin)"), null=True)
    realism_band = models.CharField(max_length=16, blank=True)
    body_site = models.CharField(max_length=24, choices=BodySite.choices, blank=True)
    age_bin = models.PositiveSmallIntegerField(null=True, blank=True, choices=AGE_BIN_CHOICES)
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    # The source image's licence binds its derivatives.
    licence = models.CharField(max_length=16, choices=Licence.choices)
    job = models.ForeignKey(
        "synthesis.SynthesisJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="synthetic_images",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING_REVIEW, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Generated images: the conditions asked for, and a key unique within the job
    # (condition + index) so a retried generation task never writes an image twice.
    conditions = models.JSONField(default=dict, blank=True)
    generation_key = models.CharField(max_length=200, null=True, blank=True)

    objects = SyntheticImageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Public pages in order (as LesionImage's): none, a diagnosis or a type leading, the
        # other filter columns checked in the index.
        indexes = [
            models.Index(
                fields=["-created_at", "-id", *_PAGE_FILTER_COLUMNS],
                condition=models.Q(status="approved"),
                name="synthetic_approved_newest",
            ),
            models.Index(
                fields=["diagnosis", "-created_at", "-id", *_without("diagnosis")],
                condition=models.Q(status="approved"),
                name="synthetic_approved_dx",
            ),
            models.Index(
                fields=["fitzpatrick", "-created_at", "-id", *_without("fitzpatrick")],
                condition=models.Q(status="approved"),
                name="synthetic_approved_fitz",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "generation_key"],
                condition=models.Q(generation_key__isnull=False),
                name="synthetic_unique_generation_key_per_job",
            )
        ]

    def __str__(self) -> str:
        return f"synthetic #{self.pk} ({self.get_method_display()}, {self.get_status_display()})"

    @property
    def drawn_hue(self):
        return self.target_draw.get("hue_deg")

    @property
    def is_public(self) -> bool:
        """The same rule as SyntheticQuerySet.public(): a withdrawn source takes it out."""
        if self.status != self.Status.APPROVED:
            return False
        return self.source_image_id is None or self.source_image.is_public

    def can_be_seen_by(self, user) -> bool:
        return SyntheticImage.objects.visible_to(user).filter(pk=self.pk).exists()
