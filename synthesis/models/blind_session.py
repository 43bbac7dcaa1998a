from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BlindSession(models.Model):
    """A visual Turing test: real and synthetic images mixed, unlabelled, for one reviewer."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="blind_sessions"
    )
    size = models.PositiveSmallIntegerField(_("number of images"))
    seed = models.BigIntegerField(_("shuffle seed"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"blinded session #{self.pk} by {self.reviewer}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None
