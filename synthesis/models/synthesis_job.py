from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from repository.models.job_state import JobState


class SynthesisJobQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=SynthesisJob.ACTIVE)

    def of_kind(self, kind: str):
        return self.filter(kind=kind)


# An audit has no countable items: its bar moves with its phases (the model, then the
# comparable model, then the comparison).
AUDIT_PHASE_PERCENT = {"evaluating": 10, "partner": 50, "comparing": 90}


class SynthesisJob(JobState):
    """One piece of synthesis work run by the Celery worker: tone transfer, training…"""

    class Kind(models.TextChoices):
        TONE_TRANSFER = "tone_transfer", _("Skin-tone transfer")
        TRAIN_SEGMENTER = "train_segmenter", _("Train a lesion segmenter")
        TRAIN_DCGAN = "train_dcgan", _("Train a conditional DCGAN")
        GENERATE = "generate", _("Generate images with a DCGAN")
        TRAIN_CLASSIFIER = "train_classifier", _("Train a lesion classifier")
        AUDIT = "audit", _("Bias audit of a classifier")
        EVALUATE_AUGMENTATION = "evaluate_augmentation", _("Augmentation experiment")
        REMEASURE_TONE = "remeasure_tone", _("Re-measure the skin tone of all images")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="synthesis_jobs"
    )
    params = models.JSONField(default=dict, blank=True)
    items_total = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)
    items_failed = models.PositiveIntegerField(default=0)
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SynthesisJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        """Share of the work finished, 0–100 (items for tone transfer, epochs for training)."""
        if self.kind in (self.Kind.TRAIN_SEGMENTER, self.Kind.TRAIN_CLASSIFIER):
            epochs = self.progress.get("epochs") or 0
            done = self.progress.get("epoch") or 0
            return round(100 * done / epochs) if epochs else 0
        if self.kind == self.Kind.EVALUATE_AUGMENTATION:
            runs, run = self.progress.get("runs") or 0, self.progress.get("run") or 0
            epochs = self.progress.get("epochs") or 0
            within = (self.progress.get("epoch") or 0) / epochs if epochs else 0
            if self.status == self.Status.SUCCEEDED:
                return 100
            return min(100, round(100 * (max(run - 1, 0) + within) / runs)) if runs else 0
        if self.kind == self.Kind.TRAIN_DCGAN:
            steps = self.progress.get("steps") or 0
            done = self.progress.get("step") or 0
            return min(100, round(100 * done / steps)) if steps else 0
        if self.kind == self.Kind.AUDIT and self.status not in self.FINISHED:
            return AUDIT_PHASE_PERCENT.get(self.progress.get("phase"), 0)
        if not self.items_total:
            return 100 if self.status in self.FINISHED else 0
        return round(100 * (self.items_done + self.items_failed) / self.items_total)
