from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class DiagnosisQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Diagnosis(models.Model):
    """The controlled diagnosis vocabulary; moderators extend it in the admin, no code change."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    malignant = models.BooleanField(_("malignant"), default=False)
    sort_order = models.PositiveIntegerField(default=100)

    objects = DiagnosisQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name_plural = _("diagnoses")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"

    @property
    def display_name(self) -> str:
        """The name in the reader's language: the seeded vocabulary is translated (its names are
        in the message catalogues); a name a moderator added reads as typed until it is too."""
        return gettext(self.name) if self.name else self.name
