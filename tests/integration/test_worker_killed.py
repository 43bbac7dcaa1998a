"""A real Celery worker is killed (SIGKILL, as the OOM killer or a lost machine would) in the
middle of each job type. A second worker, and the job sweep once the first worker's heartbeat
is stale, must finish the job or fail it with a reason: never leave it running, never lose or
duplicate an output."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db.models import Count

from repository.models import Export, Release
from repository.services.exports import export_create
from repository.services.moderation import image_publish
from repository.services.releases import release_cut
from synthesis.models import (
    ClassifierModel,
    GanModel,
    JobItem,
    SegmenterModel,
    SynthesisJob,
    SyntheticImage,
)
from synthesis.services import job_harness
from synthesis.services.classifier_training import classifier_train_job_create
from synthesis.services.gan_training import gan_train_job_create
from synthesis.services.jobs import job_create_tone_transfer
from synthesis.services.segmenter_training import segmenter_train_job_create
from tests.conftest import ROOT, _worker_database_url, demo_rows, ingest, wait_for
from tests.synthesis.conftest import IMAGE_IDS, publish

pytestmark = pytest.mark.worker
QUEUE = f"killed-{os.getpid()}"
STALE = 4  # seconds without a heartbeat before a job is taken over


@pytest.fixture
def kill_queue(seeded_db, settings, monkeypatch):
    """Jobs of these tests go to a queue of their own, which only their workers consume."""
    settings.PIXGEN_JOB_STALE_SECONDS = STALE
    send = job_harness._send
    monkeypatch.setattr(
        job_harness, "_send", lambda model, pk, task: send(model, pk, task.s().set(queue=QUEUE))
    )
    workers: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="pixgen.settings.testing",
            DATABASE_URL=_worker_database_url(),
            PIXGEN_JOB_STALE_SECONDS=str(STALE),
            OMP_NUM_THREADS="1",
        )
        log = Path(os.environ["PIXGEN_TEST_TMP"]) / f"killed-worker-{len(workers)}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "pixgen", "worker", "-Q", QUEUE]
            + ["--concurrency=1", "--pool=solo", "--without-heartbeat", "--without-gossip"]
            + ["--without-mingle", f"--hostname=killed-{len(workers)}-{os.getpid()}@%h"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        workers.append(proc)
        return proc

    yield start
    for proc in workers:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=20)


def kill_mid_run(start, model, pk: int, running) -> None:
    """Start a worker, SIGKILL it once running(row) holds, then start a second worker and sweep
    (as `manage.py sweep_jobs --loop` does) until the job is taken over."""
    first = start()

    def mid_run():
        assert first.poll() is None, "the worker exited; see its log in PIXGEN_TEST_TMP"
        row = model.objects.get(pk=pk)
        assert row.status not in ("succeeded", "failed"), f"finished before the kill: {row.error}"
        return row.status == "running" and running(row)

    wait_for(mid_run, timeout=240, interval=0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=20)
    assert model.objects.get(pk=pk).status == "running"  # as the dead worker left it
    start()
    deadline = time.monotonic() + 60
    while model.objects.get(pk=pk).attempts < 2 and time.monotonic() < deadline:
        job_harness.jobs_sweep()
        time.sleep(1)


def finished(model, pk: int, timeout: float = 300):
    def done():
        row = model.objects.get(pk=pk)
        return row if row.status not in ("queued", "running") else None

    row = wait_for(done, timeout=timeout, interval=0.5)
    assert row.attempts == 2, "the second worker took the job over"
    assert row.status == "succeeded" or (row.status == "failed" and row.error), row.error
    return row


def test_a_tone_transfer_job_resumes_and_no_item_is_lost_or_duplicated(kill_queue, moderator):
    images = [publish(moderator_clinician(), moderator, i) for i in IMAGE_IDS]
    targets = [{"kind": "fitzpatrick", "fitzpatrick": f} for f in (4, 5, 6)]
    job = job_create_tone_transfer(
        user=moderator, targets=targets, image_ids=[i.pk for i in images]
    )
    kill_mid_run(kill_queue, SynthesisJob, job.pk, lambda row: row.items_done >= 2)
    job = finished(SynthesisJob, job.pk)
    assert job.status == SynthesisJob.Status.SUCCEEDED
    items = job.items.all()
    assert {item.status for item in items} <= {JobItem.Status.SUCCEEDED, JobItem.Status.FAILED}
    succeeded = items.filter(status=JobItem.Status.SUCCEEDED)
    assert succeeded.count() + items.filter(status=JobItem.Status.FAILED).count() == 9
    made = SyntheticImage.objects.filter(job=job)
    # Each output once: as many images as succeeded items, each linked from exactly one item.
    assert made.count() == succeeded.count()
    assert set(made.values_list("pk", flat=True)) == set(succeeded.values_list("result", flat=True))
    assert not made.values("source_image", "target").annotate(n=Count("pk")).filter(n__gt=1)


def moderator_clinician():
    from tests.factories import ClinicianFactory

    return ClinicianFactory()


def public(moderator, n: int):
    clinician = moderator_clinician()
    images = []
    for index, row in enumerate(demo_rows()[:n]):
        image = ingest(
            clinician,
            row["image_id"],
            diagnosis=row["dx"],
            fitzpatrick=(5, 6, 4)[index % 3],
            lesion_identifier=row["lesion_id"],
        )
        image_publish(image=image, moderator=moderator)
        images.append(image)
    return images


def test_a_segmenter_training_job_is_taken_over(kill_queue, moderator):
    for image_id in [r["image_id"] for r in demo_rows()[:4]]:
        publish(moderator_clinician(), moderator, image_id)
    config = {"epochs": 40, "image_size": 64, "base_channels": 4, "depth": 2, "batch_size": 4}
    job = segmenter_train_job_create(user=moderator, config=config)
    kill_mid_run(kill_queue, SynthesisJob, job.pk, lambda row: (row.progress or {}).get("epoch"))
    finished(SynthesisJob, job.pk)
    assert SegmenterModel.objects.filter(job=job).count() == 1


def test_a_classifier_training_job_is_taken_over(kill_queue, moderator):
    public(moderator, 12)
    config = {"arch": "mobilenet_v3_small", "image_size": 32, "epochs": 30, "batch_size": 8}
    job = classifier_train_job_create(
        user=moderator, task="malignancy", config={**config, "augment": False}
    )
    kill_mid_run(kill_queue, SynthesisJob, job.pk, lambda row: (row.progress or {}).get("epoch"))
    job = finished(SynthesisJob, job.pk)
    models = ClassifierModel.objects.filter(job=job)
    assert models.count() == 1  # the dead worker's version row was reused, not duplicated
    assert models.get().status == (
        ClassifierModel.Status.READY
        if job.status == SynthesisJob.Status.SUCCEEDED
        else ClassifierModel.Status.FAILED
    )


def test_an_export_build_is_taken_over(kill_queue, moderator, settings):
    public(moderator, 12)
    export = export_create(
        user=moderator, params={}, augment="noise,blur,jpeg", layout="imagefolder"
    )
    kill_mid_run(kill_queue, Export, export.pk, lambda row: True)
    planned = export.item_count
    export = finished(Export, export.pk)
    assert export.status == Export.Status.SUCCEEDED and export.item_count == planned


def test_a_release_build_is_taken_over(kill_queue, moderator):
    public(moderator, 12)
    release = release_cut(moderator=moderator, tag="2026.11", title="Killed mid-build")
    kill_mid_run(kill_queue, Release, release.pk, lambda row: True)
    release = finished(Release, release.pk)
    assert release.status == Release.Status.SUCCEEDED and release.item_count == 12


def test_a_dcgan_training_job_resumes_its_version(kill_queue, moderator):
    public(moderator, 4)
    config = {
        "image_size": 64,
        "latent_dim": 16,
        "g_width": 8,
        "d_width": 8,
        "batch_size": 4,
        "steps": 40,
        "log_every": 1,
        "sample_every": 20,
        "checkpoint_every": 5,
    }
    job = gan_train_job_create(
        user=moderator,
        config=config,
        evaluation={"baseline_steps": 2, "encoder_steps": 2, "per_condition": 2},
    )
    kill_mid_run(
        kill_queue, SynthesisJob, job.pk, lambda row: (row.progress or {}).get("checkpoint_step")
    )
    job = finished(SynthesisJob, job.pk, timeout=600)
    assert job.status == SynthesisJob.Status.SUCCEEDED, job.error
    version = GanModel.objects.get(job=job)
    assert version.status == GanModel.Status.READY and version.step == 40
