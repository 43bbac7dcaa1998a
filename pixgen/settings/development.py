"""The embedded default: SQLite, media on local disk, a filesystem broker. Nothing to run."""

from .base import *  # noqa: F403
from .base import VAR_DIR, filesystem_broker, storages_for
from .env import env_bool, env_database, env_str

DEBUG = env_bool("DJANGO_DEBUG", True)
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pixgen.sqlite3'}")}
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
STORAGES = storages_for(env_str("PIXGEN_STORAGE", "local"))
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

if CELERY_BROKER_URL is None:  # noqa: F405
    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker(VAR_DIR / "broker")

WHITENOISE_USE_FINDERS = True
