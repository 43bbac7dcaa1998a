from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class BlindJudgementQuerySet(models.QuerySet):
    def judged(self):
        return self.filter(said_real__isnull=False)

    def pending(self):
        return self.filter(said_real__isnull=True)


class BlindJudgement(models.Model):
    """One image of a blinded session and, once judged, the reviewer's call on it."""

    session = models.ForeignKey(
        "synthesis.BlindSession", on_delete=models.CASCADE, related_name="judgements"
    )
    position = models.PositiveSmallIntegerField()
    real_image = models.ForeignKey(
        "repository.LesionImage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    synthetic = models.ForeignKey(
        "synthesis.SyntheticImage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="blind_judgements",
    )
    said_real = models.BooleanField(_("taken for real"), null=True)
    realism = models.PositiveSmallIntegerField(
        _("realism (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    tone_correct = models.BooleanField(_("skin tone correct"), null=True)
    features_preserved = models.BooleanField(_("diagnostic features preserved"), null=True)
    judged_at = models.DateTimeField(null=True, blank=True)

    objects = BlindJudgementQuerySet.as_manager()

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "position"], name="blind_judgement_unique_position"
            ),
            models.CheckConstraint(
                condition=models.Q(real_image__isnull=True, synthetic__isnull=False)
                | models.Q(real_image__isnull=False, synthetic__isnull=True),
                name="blind_judgement_exactly_one_image",
            ),
            models.CheckConstraint(
                condition=models.Q(realism__isnull=True) | models.Q(realism__gte=1, realism__lte=5),
                name="blind_judgement_realism_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"blinded session #{self.session_id}, image {self.position}"

    @property
    def is_real(self) -> bool:
        return self.real_image_id is not None

    @property
    def is_judged(self) -> bool:
        return self.said_real is not None

    @property
    def correct(self) -> bool | None:
        return None if self.said_real is None else self.said_real == self.is_real

    def stored_name(self) -> str:
        """The stored file to show; the caller must never reveal it."""
        return (self.real_image or self.synthetic).image.name
