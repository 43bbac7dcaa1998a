import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _django_setup(settings_module: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PIXGEN_S3"))}
    clean.update(env, DJANGO_SETTINGS_MODULE=settings_module)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.STORAGES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _django_setup(
        "pixgen.settings.production",
        DATABASE_URL="postgres://u@h/db",
        CELERY_BROKER_URL="redis://h",
        PIXGEN_S3_BUCKET="b",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_uses_s3_storage():
    result = _django_setup(
        "pixgen.settings.production",
        DJANGO_SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u@h/db",
        CELERY_BROKER_URL="redis://h",
        PIXGEN_S3_BUCKET="pixgen-media",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "storages.backends.s3.S3Storage"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PIXGEN_MAX_UPLOAD_MB", "twenty", "is not a whole number"),
        ("DJANGO_DEBUG", "maybe", "is not a boolean"),
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL"),
        ("PIXGEN_STORAGE", "ftp", "use 'local' or 's3'"),
    ],
)
def test_a_malformed_variable_is_improperly_configured(name, value, message):
    result = _django_setup("pixgen.settings.development", **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_development_settings_work_without_any_environment():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.BASE_DIR, settings.DATABASES['default']['ENGINE'], settings.DEBUG)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "PIXGEN_"))
        }
        | {
            "DJANGO_SETTINGS_MODULE": "pixgen.settings.development",
            "PIXGEN_VAR_DIR": "/tmp/pixgen-settings-test",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(ROOT), "django.db.backends.sqlite3", "True"]
