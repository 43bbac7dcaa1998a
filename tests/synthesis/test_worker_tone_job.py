"""The plumbing: a tone-transfer job runs in a separate Celery worker process, through the
configured broker, against the configured database (PostgreSQL and Redis in CI)."""

import pytest

from repository.services.moderation import image_publish
from synthesis.models import SynthesisJob, SyntheticImage
from synthesis.services.jobs import job_create_tone_transfer
from tests.conftest import ingest, wait_for
from tests.factories import ClinicianFactory, ModeratorFactory
from tests.synthesis.conftest import IMAGE_IDS

pytestmark = pytest.mark.worker


def test_a_tone_transfer_job_runs_to_success_in_the_worker(seeded_db, celery_worker_process):
    clinician, moderator = ClinicianFactory(), ModeratorFactory()
    images = [ingest(clinician, image_id) for image_id in IMAGE_IDS[:2]]
    for image in images:
        image_publish(image=image, moderator=moderator)
    job = job_create_tone_transfer(
        user=moderator,
        targets=[{"kind": "fitzpatrick", "fitzpatrick": t} for t in (5, 6)],
        image_ids=[i.pk for i in images],
    )

    def finished():
        row = SynthesisJob.objects.get(pk=job.pk)
        return row if row.status in SynthesisJob.FINISHED else None

    row = wait_for(finished, timeout=120)
    assert row.status == SynthesisJob.Status.SUCCEEDED, row.error
    assert (row.items_done, row.items_failed, row.items_total) == (4, 0, 4)
    assert row.celery_task_id and row.started_at and row.finished_at
    outputs = SyntheticImage.objects.filter(job=row)
    assert outputs.count() == 4
    assert set(outputs.values_list("status", flat=True)) == {"pending_review"}
    assert sorted(outputs.values_list("fitzpatrick", flat=True)) == [5, 5, 6, 6]
    assert celery_worker_process.poll() is None
