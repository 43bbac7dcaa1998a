from django.db import models
from django.utils.translation import gettext_lazy as _

from repository.models.job_state import StoredError

from .trained_model import TrainedModel


class ClassifierModelQuerySet(models.QuerySet):
    def ready(self):
        return self.filter(status=ClassifierModel.Status.READY)

    def of_task(self, task: str):
        return self.filter(task=task)

    def latest_ready(self, task: str):
        """The newest ready model of a task, or None."""
        return self.ready().of_task(task).order_by("-created_at", "-id").first()


class ClassifierModel(TrainedModel, StoredError):
    """A trained lesion classifier: weights, the data snapshot and exact split, settings, metrics.

    Created as TRAINING when its job starts; READY only once weights and metrics are stored."""

    class Task(models.TextChoices):
        DX7 = "dx7", _("Diagnosis (7 classes)")
        MALIGNANCY = "malignancy", _("Benign / malignant")

    class Status(models.TextChoices):
        TRAINING = "training", _("Training")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    task = models.CharField(_("task"), max_length=16, choices=Task.choices)
    with_synthetic = models.BooleanField(_("with synthetic images"), default=False)
    # {"methods": [...], "model_versions": [...]}: which approved synthetic images were added.
    synthetic_selection = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.TRAINING, db_index=True
    )
    # data_snapshot: record uids, their fingerprint, counts and the exact train/test split.
    error = models.TextField(blank=True)
    job = models.ForeignKey(
        "synthesis.SynthesisJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="classifier_models",
    )

    objects = ClassifierModelQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def test_split(self) -> list[str]:
        return list((self.data_snapshot.get("split") or {}).get("test") or [])
