import csv
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from repository.services.ingest import image_ingest
from repository.services.metadata import ImageMetadata
from tests.factories import ClinicianFactory, ModeratorFactory, ResearcherFactory, UserFactory

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "repository" / "demo_data"


def demo_rows() -> list[dict]:
    with open(DEMO_DIR / "metadata.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def demo_image_path(image_id: str) -> Path:
    return DEMO_DIR / "images" / f"{image_id}.jpg"


def demo_bytes(image_id: str | None = None) -> bytes:
    image_id = image_id or demo_rows()[0]["image_id"]
    return demo_image_path(image_id).read_bytes()


def metadata(**overrides) -> ImageMetadata:
    values = dict(
        diagnosis="mel",
        fitzpatrick=5,
        modality="dermoscopic",
        diagnosis_confirmation="histopathology",
        body_site="back",
        licence="CC-BY-4.0",
        consent_attested=True,
        sex="female",
        age_bin=45,
    )
    values.update(overrides)
    return ImageMetadata(**values)


def ingest(contributor, image_id: str | None = None, **overrides):
    return image_ingest(
        contributor=contributor,
        fileobj=io.BytesIO(demo_bytes(image_id)),
        metadata=metadata(**overrides),
    )


def stored_files() -> set[str]:
    """Every file under MEDIA_ROOT, relative to it."""
    root = Path(settings.MEDIA_ROOT)
    return (
        {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
        if root.exists()
        else set()
    )


@pytest.fixture
def clinician(db):
    return ClinicianFactory()


@pytest.fixture
def moderator(db):
    return ModeratorFactory()


@pytest.fixture
def researcher(db):
    return ResearcherFactory()


@pytest.fixture
def plain_user(db):
    return UserFactory()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle and login-failure counters live in the cache: none carries over between tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """A test that activates a language (directly or through a page) must not leave it on for
    the next one: archives' README.md is written in the active language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _clean_media():
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def seeded_db(transactional_db):
    """transactional_db flushes tables between tests, migration data included: seed it again."""
    from django.apps import apps as django_apps

    from repository.migrations import _seed

    _seed.seed_diagnoses(django_apps)
    return transactional_db


def _worker_database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker in its own process, on the test database and the configured broker."""
    from pixgen.celery import app

    with django_db_blocker.unblock():
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="pixgen.settings.testing",
            DATABASE_URL=_worker_database_url(),
        )
    app.control.purge()
    log = open(Path(os.environ["PIXGEN_TEST_TMP"]) / "worker.log", "w")  # noqa: SIM115 (outlives the block)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pixgen",
            "worker",
            "--loglevel=INFO",
            "-Q",
            "default,training",
            "--concurrency=1",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited early; see {log.name}")
        if "ready." in Path(log.name).read_text():
            break
        time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError(f"the Celery worker did not start in time; see {log.name}")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
