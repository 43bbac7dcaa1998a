from django.db import models


class ReleaseItem(models.Model):
    """One image frozen into a release: which row, its checksum and its path in the archive."""

    class Origin(models.TextChoices):
        REAL = "real", "real"
        SYNTHETIC = "synthetic", "synthetic"

    release = models.ForeignKey(
        "repository.Release", on_delete=models.CASCADE, related_name="items"
    )
    origin = models.CharField(max_length=16, choices=Origin.choices)
    object_id = models.BigIntegerField()
    uid = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=255)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["release", "uid"], name="releaseitem_unique_uid"),
        ]
        indexes = [models.Index(fields=["release", "origin", "object_id"])]

    def __str__(self) -> str:
        return f"{self.release_id}:{self.uid}"
