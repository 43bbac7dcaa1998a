from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepositoryConfig(AppConfig):
    name = "repository"
    verbose_name = _("Image repository")

    def ready(self) -> None:
        from repository.api import schema  # noqa: F401  (registers the token auth scheme)
