from django.db import models
from django.utils.translation import gettext_lazy as _

from repository.models.job_state import StoredError


class JobItemQuerySet(models.QuerySet):
    def queued(self):
        return self.filter(status=JobItem.Status.QUEUED)

    def failed(self):
        return self.filter(status=JobItem.Status.FAILED)


class JobItem(StoredError):
    """One output of a job: a source image rendered at one target."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REMOVED = "removed", _("Removed")
        CANCELLED = "cancelled", _("Cancelled")

    job = models.ForeignKey(
        "synthesis.SynthesisJob", on_delete=models.CASCADE, related_name="items"
    )
    source_image = models.ForeignKey(
        "repository.LesionImage", on_delete=models.PROTECT, related_name="synthesis_items"
    )
    # Natural key of the target ("fitzpatrick:5", "ita:-20.0", "templates:3:7:0.5"): a job
    # holds each (image, target) once, so a retry never duplicates an output.
    target_key = models.CharField(max_length=64)
    target = models.JSONField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.OneToOneField(
        "synthesis.SyntheticImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="job_item",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobItemQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "source_image", "target_key"], name="jobitem_unique_target"
            )
        ]

    def __str__(self) -> str:
        return f"item #{self.pk} of job #{self.job_id}: #{self.source_image_id} → {self.target_key}"
