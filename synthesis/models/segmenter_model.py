from django.db import models
from django.utils.translation import gettext_lazy as _

from .trained_model import TrainedModel


class SegmenterModelQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def by_val_dice(self):
        return self.order_by(models.F("val_dice").desc(nulls_last=True), "-created_at", "-id")

    def best(self):
        """The active model with the highest validation Dice, or None."""
        return self.active().by_val_dice().first()

    def promoted(self):
        """The best active model that beat the shipped one on its own held-out split, or None:
        only such a model replaces the shipped one as the default."""
        return self.active().filter(beats_shipped=True).by_val_dice().first()


class SegmenterModel(TrainedModel):
    """A trained U-Net lesion segmenter (the weights are its checkpoint bundle)."""

    val_dice = models.FloatField(_("validation Dice"), null=True, blank=True, db_index=True)
    job = models.ForeignKey(
        "synthesis.SynthesisJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segmenter_models",
    )
    is_active = models.BooleanField(_("active"), default=True)
    # This model and the shipped one scored on the same held-out images (its validation
    # split): {"images", "candidate": {...}, "shipped": {...}, "shipped_version"}.
    comparison = models.JSONField(_("comparison with the shipped model"), default=dict, blank=True)
    beats_shipped = models.BooleanField(_("beats the shipped model"), default=False)

    objects = SegmenterModelQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
