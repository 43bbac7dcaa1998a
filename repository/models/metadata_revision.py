from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MetadataRevision(models.Model):
    """One change to an image's metadata: who, when, why, and each field's value before and
    after. Synthetic images sent back to review because of it, and the reviews that relied on
    the old label, are kept here too."""

    image = models.ForeignKey(
        "repository.LesionImage", on_delete=models.CASCADE, related_name="revisions"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # field -> {"from": old value, "to": new value}; a diagnosis is its code
    changes = models.JSONField(default=dict)
    reason = models.TextField(_("reason"), blank=True)
    after_publication = models.BooleanField(default=False)
    sent_back_for_review = models.JSONField(default=list, blank=True)  # synthetic image ids
    superseded_reviews = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"image #{self.image_id}: {', '.join(self.changes)}"
