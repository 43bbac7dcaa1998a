from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Theme(models.TextChoices):
    SYSTEM = "system", _("System")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class User(AbstractUser):
    """A PixGen account. Roles are flags granted by moderators (reviewer, moderator) or earned
    (contributor: a verified clinician application; researcher: accepted data-use terms)."""

    email = models.EmailField(_("e-mail address"), unique=True)
    is_moderator = models.BooleanField(_("moderator"), default=False)
    is_reviewer = models.BooleanField(_("reviewer (dermatologist SME)"), default=False)
    data_terms_accepted_at = models.DateTimeField(
        _("data-use terms accepted"), null=True, blank=True
    )
    # Preferences: blank language means "as the browser asks" (cookie, then Accept-Language).
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    theme = models.CharField(_("colour theme"), max_length=10, blank=True, choices=Theme.choices)

    class Meta(AbstractUser.Meta):
        constraints = [
            # Mail servers treat Ana@x.org and ana@x.org as one mailbox: one account for it.
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message=_("An account with this e-mail address already exists."),
            )
        ]

    @property
    def is_verified_clinician(self) -> bool:
        application = getattr(self, "clinician_application", None)
        return application is not None and application.status == application.Status.VERIFIED

    @property
    def is_researcher(self) -> bool:
        return self.data_terms_accepted_at is not None

    @property
    def role_names(self) -> list[str]:
        roles = []
        if self.is_verified_clinician:
            roles.append(_("contributor"))
        if self.is_reviewer:
            roles.append(_("reviewer"))
        if self.is_researcher:
            roles.append(_("researcher"))
        if self.is_moderator:
            roles.append(_("moderator"))
        return roles
