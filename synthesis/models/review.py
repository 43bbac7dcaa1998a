from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewQuerySet(models.QuerySet):
    def by(self, user):
        return self.filter(reviewer=user)

    def approvals(self):
        return self.filter(decision=Review.Decision.APPROVE)


class Review(models.Model):
    """One dermatologist's independent decision on one synthetic image."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    synthetic = models.ForeignKey(
        "synthesis.SyntheticImage", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="synthetic_reviews"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    realism = models.PositiveSmallIntegerField(
        _("realism (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    tone_correct = models.BooleanField(_("skin tone correct"))
    features_preserved = models.BooleanField(_("diagnostic features preserved"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["synthetic", "reviewer"], name="one_review_per_reviewer"
            ),
            models.CheckConstraint(
                condition=models.Q(realism__gte=1, realism__lte=5), name="review_realism_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} of synthetic #{self.synthetic_id} by {self.reviewer}"

    @property
    def approves(self) -> bool:
        return self.decision == self.Decision.APPROVE
