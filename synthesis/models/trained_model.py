from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrainedModel(models.Model):
    """What every trained-model registry (segmenters, DCGANs, classifiers) records, under the
    same names: version, the data it saw, its configuration, metrics, weights with checksum,
    and who made it when."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    # Which images (ids and a fingerprint of their pixels) it was trained on.
    data_snapshot = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    weights = models.FileField(_("weights"), max_length=255, blank=True)
    # SHA-256 of the stored weights file (empty for versions stored before it was recorded).
    weights_sha256 = models.CharField(max_length=64, blank=True)
    wall_seconds = models.FloatField(null=True, blank=True)
    device = models.CharField(max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.version
