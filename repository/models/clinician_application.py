from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClinicianApplication(models.Model):
    """A user's request to be verified as a clinician; a moderator decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_application"
    )
    licence_number = models.CharField(_("licence number"), max_length=64)
    issuing_authority = models.CharField(_("issuing authority"), max_length=200)
    country = models.CharField(_("country"), max_length=100)
    institution = models.CharField(_("institution"), max_length=200)
    specialty = models.CharField(_("specialty"), max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"
