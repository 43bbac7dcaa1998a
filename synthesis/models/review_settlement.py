from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewSettlement(models.Model):
    """A moderator's final word on a synthetic image its reviewers disagreed about."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    synthetic = models.OneToOneField(
        "synthesis.SyntheticImage", on_delete=models.CASCADE, related_name="settlement"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_decision_display()} of synthetic #{self.synthetic_id} (settled)"
