from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .job_state import JobState

TAG_PATTERN = r"^\d{4}\.(0[1-9]|1[0-2])(\.[1-9]\d{0,2})?$"
validate_tag = RegexValidator(
    TAG_PATTERN, _("A release tag is YEAR.MONTH or YEAR.MONTH.N, e.g. 2026.11 or 2026.11.1.")
)


class Release(JobState):
    """An immutable, citable snapshot of the open database: its items are frozen when it is
    cut and its archive is built once, so every download gives the same bytes."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        SUCCEEDED = "succeeded", _("Published")
        FAILED = "failed", _("Failed")

    tag = models.CharField(_("tag"), max_length=16, unique=True, validators=[validate_tag])
    title = models.CharField(_("title"), max_length=200)
    citation = models.TextField(_("citation"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="releases"
    )
    created_at = models.DateTimeField(_("cut at"))
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_count = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    # Items of the previous release no longer public when this one was cut: uid, sha256, reason.
    withdrawn = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    file = models.FileField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"PixGen {self.tag}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.SUCCEEDED
