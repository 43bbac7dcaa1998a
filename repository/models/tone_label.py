from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from repository.vocabulary import Fitzpatrick


class ToneLabel(models.Model):
    """A skin-tone label for an image from one source other than the contributing clinician,
    kept beside the clinician's own (LesionImage.fitzpatrick / monk_tone) and the measured
    estimate (LesionImage.tone_measurement), never overwriting either."""

    class Source(models.TextChoices):
        SELF_REPORT = "self_report", _("Patient self-report")
        RATER = "rater", _("Another rater")

    image = models.ForeignKey(
        "repository.LesionImage", on_delete=models.CASCADE, related_name="tone_labels"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tone_labels",
        help_text=_("Who gave the label (for a self-report: who entered it)."),
    )
    fitzpatrick = models.PositiveSmallIntegerField(
        _("Fitzpatrick type"), null=True, blank=True, choices=Fitzpatrick.choices
    )
    monk_tone = models.PositiveSmallIntegerField(
        _("Monk skin tone"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    questionnaire = models.JSONField(
        _("questionnaire answers"),
        default=dict,
        blank=True,
        help_text=_("The six Fitzpatrick questionnaire answers (0-4 each) of a self-report."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["image_id", "source", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "rater"],
                condition=models.Q(source="rater"),
                name="tonelabel_one_per_rater",
            ),
            models.UniqueConstraint(
                fields=["image"],
                condition=models.Q(source="self_report"),
                name="tonelabel_one_self_report",
            ),
            models.CheckConstraint(
                condition=models.Q(fitzpatrick__isnull=True)
                | models.Q(fitzpatrick__gte=1, fitzpatrick__lte=6),
                name="tonelabel_fitzpatrick_1_6",
            ),
            models.CheckConstraint(
                condition=models.Q(monk_tone__isnull=True)
                | models.Q(monk_tone__gte=1, monk_tone__lte=10),
                name="tonelabel_monk_1_10",
            ),
            models.CheckConstraint(
                condition=models.Q(fitzpatrick__isnull=False) | models.Q(monk_tone__isnull=False),
                name="tonelabel_says_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} for #{self.image_id}"
