from django.db import models
from django.utils.translation import gettext_lazy as _

from repository.models.job_state import StoredError

from .trained_model import TrainedModel


class GanModelQuerySet(models.QuerySet):
    def ready(self):
        return self.filter(status=GanModel.Status.READY)


class GanModel(TrainedModel, StoredError):
    """A conditional DCGAN version: data snapshot, hyper-parameters, checkpoints and metrics.

    The row exists from the start of training (status training, holding the last checkpoint
    so a killed job resumes the same version) and becomes ready only once weights and
    evaluation are stored: nothing half-written is ever ready."""

    class Status(models.TextChoices):
        TRAINING = "training", _("Training")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.TRAINING, db_index=True
    )
    image_size = models.PositiveSmallIntegerField(_("image size"))
    condition_space = models.JSONField(default=dict, blank=True)
    checkpoint = models.FileField(_("last training checkpoint"), max_length=255, blank=True)
    sample_grid = models.FileField(_("latest sample grid"), max_length=255, blank=True)
    loss_plot = models.FileField(_("loss curves"), max_length=255, blank=True)
    history = models.JSONField(default=list, blank=True)
    step = models.PositiveIntegerField(default=0)
    wall_seconds = models.FloatField(default=0.0)  # summed over resumed runs
    error = models.TextField(blank=True)
    job = models.ForeignKey(
        "synthesis.SynthesisJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gan_models",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = GanModelQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def steps(self) -> int:
        return int(self.config.get("steps") or 0)
