"""The embedded default: SQLite, media on local disk, a filesystem broker. Nothing to run."""

from .base import *  # noqa: F403
from .base import VAR_DIR, filesystem_broker, storages_for
from .env import env_bool, env_database, env_str

DEBUG = env_bool("DJANGO_DEBUG", True)
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pixgen.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server, the worker's two processes and `rundemo` write at once: WAL lets readers
    # run beside the writer, and IMMEDIATE transactions wait for the write lock (up to the
    # timeout) instead of failing with "database is locked" when a read turns into a write.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Mail goes to files, one per message, so start-up (which verifies the demo clinicians and
# notifies them) does not print raw e-mails between the console's own lines.
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env_str("DJANGO_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
STORAGES = storages_for(env_str("PIXGEN_STORAGE", "local"))
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

if CELERY_BROKER_URL is None:  # noqa: F405
    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker(VAR_DIR / "broker")

WHITENOISE_USE_FINDERS = True
