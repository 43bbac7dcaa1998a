"""Tests: SQLite unless DATABASE_URL points elsewhere (CI points it at PostgreSQL). The test
database lives in a file so a real worker process can share it."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import filesystem_broker, storages_for
from .env import env_database, env_str

_TMP = Path(os.environ.get("PIXGEN_TEST_TMP") or tempfile.mkdtemp(prefix="pixgen-test-"))
os.environ.setdefault("PIXGEN_TEST_TMP", str(_TMP))

SECRET_KEY = "testing-only"
DEBUG = False
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{_TMP / 'pixgen.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(_TMP / "test-pixgen.sqlite3")}
    # As in development: a real worker process writes the same file while a test does (the
    # demo loader publishing images as the worker analyses them); WAL and IMMEDIATE
    # transactions make one wait for the other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests change the catalogue between requests: no facet counts kept from one to the next.
PIXGEN_GALLERY_FACET_CACHE_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = _TMP / "media"
STORAGES = storages_for(env_str("PIXGEN_STORAGE", "local"))
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

if CELERY_BROKER_URL is None:  # noqa: F405
    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker(_TMP / "broker")

STATIC_ROOT = _TMP / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
