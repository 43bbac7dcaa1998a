"""The plumbing: an upload's analysis runs in a separate Celery worker process, through the
configured broker, against the configured database (PostgreSQL and Redis in CI)."""

import os

import pytest
from django.db import connection

from repository.models import LesionImage
from tests.conftest import ingest, wait_for
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.worker


def test_upload_is_analysed_by_a_separate_worker_process(
    seeded_db, celery_worker_process, settings
):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    if os.environ.get("PIXGEN_REQUIRE_SERVICES"):
        assert connection.vendor == "postgresql"
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    image = ingest(ClinicianFactory())  # commits: the analysis task is queued on commit

    def analysed():
        row = LesionImage.objects.get(pk=image.pk)
        return row if row.analysis_status != LesionImage.AnalysisStatus.PENDING else None

    row = wait_for(analysed, timeout=90)
    assert celery_worker_process.poll() is None and celery_worker_process.pid != os.getpid()
    assert row.analysis_status == LesionImage.AnalysisStatus.DONE, row.analysis_error
    # The shipped model segments on a fresh database: no training, no download.
    assert row.mask and row.mask_source == "learned" and row.mask_segmenter
    assert row.mask_check["check"] == "passed"
    assert row.ita_deg is not None and 1 <= row.measured_fitzpatrick <= 6
    assert row.tone_measurement["ita_deg"] == pytest.approx(row.ita_deg, abs=0.1)
