from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .job_state import JobState


class ExportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A user's own exports, and nobody else's (moderators included: what a researcher
        downloads is theirs). The web pages and the API both use this one rule."""
        return self.filter(created_by=user) if user.is_authenticated else self.none()


class Export(JobState):
    """A dataset archive built by a worker for a signed-in user, from a catalogue query."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        SUCCEEDED = "succeeded", _("Ready")
        FAILED = "failed", _("Failed")

    class Layout(models.TextChoices):
        FLAT = "flat", _("Flat (all images in one folder)")
        IMAGEFOLDER = "imagefolder", _("One folder per diagnosis (ImageFolder)")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    params = models.JSONField(_("catalogue query"), default=dict, blank=True)
    layout = models.CharField(max_length=16, choices=Layout.choices, default=Layout.FLAT)
    augment = models.JSONField(_("augmentations"), default=list, blank=True)
    seed = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    file = models.FileField(max_length=255, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.get_status_display()})"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    def can_be_seen_by(self, user) -> bool:
        return Export.objects.visible_to(user).filter(pk=self.pk).exists()
