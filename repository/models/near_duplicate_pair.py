from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NearDuplicatePairQuerySet(models.QuerySet):
    def undecided(self):
        return self.filter(decision=NearDuplicatePair.Decision.UNDECIDED)

    def involving(self, origin: str, object_id: int):
        return self.filter(
            models.Q(a_origin=origin, a_id=object_id) | models.Q(b_origin=origin, b_id=object_id)
        )


class NearDuplicatePair(models.Model):
    """Two stored images whose perceptual fingerprints are close, and a moderator's verdict.
    `a` is the image that was there first; the pair is stored once."""

    class Decision(models.TextChoices):
        UNDECIDED = "", _("Not yet decided")
        SAME_LESION = "same_lesion", _("Same lesion (another photograph)")
        DUPLICATE = "duplicate", _("Duplicate (the same photograph)")
        DIFFERENT = "different", _("Different lesions")

    class Found(models.TextChoices):
        INGEST = "ingest", _("on upload")
        CHECK = "check", _("by a release or export check")
        BACKFILL = "backfill", _("by the fingerprint backfill")

    a_origin = models.CharField(max_length=16)
    a_id = models.BigIntegerField()
    b_origin = models.CharField(max_length=16)
    b_id = models.BigIntegerField()
    coarse_distance = models.PositiveSmallIntegerField()
    fine_distance = models.PositiveSmallIntegerField()
    found = models.CharField(max_length=16, choices=Found.choices, default=Found.INGEST)
    found_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, blank=True, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = NearDuplicatePairQuerySet.as_manager()

    class Meta:
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["a_origin", "a_id", "b_origin", "b_id"], name="nearduplicate_unique_pair"
            )
        ]
        indexes = [
            models.Index(fields=["a_origin", "a_id"]),
            models.Index(fields=["b_origin", "b_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.a_uid} ~ {self.b_uid}"

    @property
    def a_uid(self) -> str:
        return f"{self.a_origin}-{self.a_id}"

    @property
    def b_uid(self) -> str:
        return f"{self.b_origin}-{self.b_id}"
