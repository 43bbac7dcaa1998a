from django.db import models


class PerceptualHash(models.Model):
    """One region's perceptual hashes of a stored image (ten rows per image), with the coarse
    hash cut into four indexed 16-bit bands so a lookup never scans every row
    (see repository/perceptual.py)."""

    class Origin(models.TextChoices):
        REAL = "real", "real"
        SYNTHETIC = "synthetic", "synthetic"

    origin = models.CharField(max_length=16, choices=Origin.choices)
    object_id = models.BigIntegerField()
    region = models.PositiveSmallIntegerField()
    coarse = models.BigIntegerField()  # signed view of the unsigned 64-bit phash
    fine = models.BinaryField(max_length=32)
    band0 = models.IntegerField(db_index=True)
    band1 = models.IntegerField(db_index=True)
    band2 = models.IntegerField(db_index=True)
    band3 = models.IntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "object_id", "region"], name="perceptualhash_unique_region"
            )
        ]

    def __str__(self) -> str:
        return f"{self.origin}-{self.object_id} region {self.region}"
