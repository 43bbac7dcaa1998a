from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BiasAudit(models.Model):
    """A fairness report of one classifier across Fitzpatrick types, kept as JSON; plots are
    drawn from it on request. `report` holds the model's audit, and where a comparable model
    (same task, other data) exists, its audit and the side-by-side comparison."""

    class Source(models.TextChoices):
        HELD_OUT = "held_out", _("Held-out split of the repository")
        EXTERNAL = "external", _("External labelled set")

    model = models.ForeignKey(
        "synthesis.ClassifierModel", on_delete=models.CASCADE, related_name="audits"
    )
    compared_with = models.ForeignKey(
        "synthesis.ClassifierModel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    eval_name = models.CharField(_("evaluation set"), max_length=255, blank=True)
    report = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"audit #{self.pk} of {self.model_id} ({self.source})"

    @property
    def main(self) -> dict:
        return self.report.get("model") or {}

    @property
    def comparison(self) -> dict | None:
        return self.report.get("comparison")
