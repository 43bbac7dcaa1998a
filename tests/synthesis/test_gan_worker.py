"""The plumbing: DCGAN training goes to the training queue and a real worker runs it, then a
generation job runs there too."""

import pytest

from repository.services.moderation import image_publish
from synthesis.models import GanModel, SynthesisJob, SyntheticImage
from synthesis.services.gan_generation import gan_generate_job_create
from synthesis.services.gan_training import gan_train_job_create
from tests.conftest import demo_rows, ingest, wait_for
from tests.factories import ClinicianFactory, ModeratorFactory
from tests.synthesis.test_gan import EVAL, TINY

pytestmark = pytest.mark.worker


def finished(job_id: int):
    row = SynthesisJob.objects.get(pk=job_id)
    return row if row.status in SynthesisJob.FINISHED else None


def test_training_and_generation_run_in_the_worker(seeded_db, celery_worker_process):
    from pixgen.celery import app

    assert app.amqp.router.route({}, "synthesis.tasks.train_dcgan_task")["queue"].name == "training"
    clinician, moderator = ClinicianFactory(), ModeratorFactory()
    for row in demo_rows()[:3]:
        image_publish(image=ingest(clinician, row["image_id"]), moderator=moderator)
    job = gan_train_job_create(user=moderator, config=TINY, evaluation=EVAL)
    done = wait_for(lambda: finished(job.pk), timeout=180)
    assert done.status == SynthesisJob.Status.SUCCEEDED, done.error
    model = GanModel.objects.get(job=done)
    assert model.is_ready and done.progress["version"] == model.version
    generate = gan_generate_job_create(
        user=moderator,
        model_version=model.version,
        conditions=[{"diagnosis": "mel", "fitzpatrick": 5}],
        count=2,
        seed=1,
    )
    done = wait_for(lambda: finished(generate.pk), timeout=120)
    assert done.status == SynthesisJob.Status.SUCCEEDED, done.error
    assert SyntheticImage.objects.filter(job=done, status="pending_review").count() == 2
    assert celery_worker_process.poll() is None
