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


PRODUCTION = dict(
    DJANGO_SECRET_KEY="x" * 50,
    DATABASE_URL="postgres://u@h/db",
    CELERY_BROKER_URL="redis://h",
    PIXGEN_S3_BUCKET="pixgen-media",
    PIXGEN_CACHE_URL="redis://127.0.0.1:6379/4",
)


def test_production_uses_s3_storage():
    result = _django_setup("pixgen.settings.production", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "storages.backends.s3.S3Storage"


def test_production_refuses_to_start_without_a_shared_cache():
    env = {k: v for k, v in PRODUCTION.items() if k != "PIXGEN_CACHE_URL"}
    result = _django_setup("pixgen.settings.production", **env)
    assert result.returncode != 0
    assert "PIXGEN_CACHE_URL must be set" in result.stderr and "throttle" in result.stderr
    result = _django_setup(
        "pixgen.settings.production", **{**PRODUCTION, "PIXGEN_CACHE_URL": "locmem://"}
    )
    assert result.returncode != 0 and "must be a redis:// URL" in result.stderr


def _check_deploy(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PIXGEN_"))}
    clean.update(PRODUCTION, DJANGO_SETTINGS_MODULE="pixgen.settings.production")
    clean.update(DJANGO_SECRET_KEY="k7#Qp2!vZr9@Lm4$Tw8^Xb1&Nc6*Hd3(Fg5)Js0-Ya2+Ue7=Io9_Rt4")
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_hsts_and_the_https_redirect_are_on_by_default_and_configurable():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PIXGEN_"))}
    clean.update(PRODUCTION, DJANGO_SETTINGS_MODULE="pixgen.settings.production")

    def run(**env):
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=clean | env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert run() == ["True", "31536000", "True"]
    assert run(DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_HSTS_SECONDS="0") == [
        "False",
        "0",
        "True",
    ]
    # Turning them off is a deliberate choice that `check --deploy` still reports.
    result = _check_deploy(DJANGO_SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0 and "security.W008" in result.stderr + result.stdout


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
