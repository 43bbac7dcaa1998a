from django.db import models


class CatalogueCount(models.Model):
    """How many public images of one origin have `facet` = `value` among those with the given
    facet value(s): none (both empty), one (`given_facet` "sex", `given_value` "female"), or
    two ("sex|age", "female|40"). The gallery's facet counts read these cells instead of
    counting a million rows; the services that publish, withdraw, review or relabel an image
    keep them in the same transaction (repository/services/catalogue_counts.py), and
    `rebuild_catalogue_counts` recounts them. Facet "*" with value "" counts the images."""

    origin = models.CharField(max_length=16)
    facet = models.CharField(max_length=16)
    value = models.CharField(max_length=64, blank=True)
    given_facet = models.CharField(max_length=40, blank=True)
    given_value = models.CharField(max_length=140, blank=True)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["given_facet", "given_value", "origin", "facet", "value"],
                name="cataloguecount_cell",
            )
        ]

    def __str__(self) -> str:
        given = f" | {self.given_facet}={self.given_value}" if self.given_facet else ""
        return f"{self.origin}: {self.facet}={self.value}{given}: {self.n}"
