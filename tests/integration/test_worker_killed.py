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

from repository.models import Export, LesionImage, Release
from repository.services.analysis import image_analyse
from repository.services.exports import export_create
from repository.services.moderation import image_publish
from repository.services.releases import release_cut
from synthesis.models import (
    AugmentationRun,
    BiasAudit,
    ClassifierModel,
    GanModel,
    JobItem,
    SegmenterModel,
    SynthesisJob,
    SyntheticImage,
)
from synthesis.services import job_harness
from synthesis.services.audit_upload import audit_job_create
from synthesis.services.augmentation import augmentation_experiment_create
from synthesis.services.classifier_training import (
    classifier_train_job_create,
    classifier_train_run,
)
from synthesis.services.demo_gan import demo_gan_install
from synthesis.services.gan_generation import gan_generate_job_create
from synthesis.services.gan_training import gan_train_job_create
from synthesis.services.jobs import job_create_tone_transfer
from synthesis.services.remeasure import remeasure_job_create
from synthesis.services.segmenter_training import segmenter_train_job_create
from tests.conftest import ROOT, _worker_database_url, demo_rows, ingest, wait_for
from tests.synthesis.classifier_fixtures import approved_synthetic
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


def test_a_dcgan_generation_job_resumes_and_no_image_is_lost_or_duplicated(kill_queue, moderator):
    model, _created = demo_gan_install()
    conditions = [
        {"diagnosis": dx, "fitzpatrick": f}
        for dx in ("mel", "nv", "bcc", "bkl", "akiec", "df", "vasc")
        for f in (4, 5, 6)
    ]
    job = gan_generate_job_create(
        user=moderator, model_version=model.version, conditions=conditions, count=16, seed=3
    )
    # Killed once the first condition's images are stored, with twenty conditions to go.
    kill_mid_run(kill_queue, SynthesisJob, job.pk, lambda row: row.items_done >= 16)
    job = finished(SynthesisJob, job.pk)
    assert job.status == SynthesisJob.Status.SUCCEEDED, job.error
    made = SyntheticImage.objects.filter(job=job)
    # Every (condition, index) once: what the dead worker stored is kept, not made again.
    assert made.count() == job.items_total == len(conditions) * 16
    assert made.values("generation_key").distinct().count() == made.count()
    assert set(made.values_list("status", flat=True)) == {SyntheticImage.Status.PENDING_REVIEW}


def trained_classifier(moderator, task: str) -> ClassifierModel:
    """A READY classifier, trained here (in the test process) at the smallest size."""
    config = {"arch": "mobilenet_v3_small", "image_size": 32, "epochs": 1, "batch_size": 8}
    job = classifier_train_job_create(
        user=moderator,
        task=task,
        config={**config, "test_fraction": 0.5, "augment": False},
        enqueue=False,
    )
    return classifier_train_run(job_id=job.pk, device="cpu")


def test_a_bias_audit_job_is_taken_over(kill_queue, moderator):
    public(moderator, 24)
    model = trained_classifier(moderator, "malignancy")
    job = audit_job_create(model=model, user=moderator)
    kill_mid_run(
        kill_queue,
        SynthesisJob,
        job.pk,
        lambda row: (row.progress or {}).get("phase") == "evaluating",
    )
    job = finished(SynthesisJob, job.pk)
    assert job.status == SynthesisJob.Status.SUCCEEDED, job.error
    audit = BiasAudit.objects.get(model=model)  # one report: the dead worker stored none
    assert job.progress["audit"] == audit.pk and audit.main["n"] == len(model.test_split)


def test_an_augmentation_experiment_resumes_without_training_a_stored_run_again(
    kill_queue, moderator
):
    images = public(moderator, 24)
    for image in images[::2]:
        approved_synthetic(image, created_by=moderator)
    experiment = augmentation_experiment_create(
        user=moderator,
        task="malignancy",
        ratios="0,0.25",
        seeds=2,
        epochs=1,
        config={"arch": "mobilenet_v3_small", "image_size": 32, "batch_size": 8, "augment": False},
    )
    stored = AugmentationRun.objects.filter(experiment=experiment)
    # Killed once the first of the four runs is stored.
    kill_mid_run(kill_queue, SynthesisJob, experiment.job_id, lambda row: stored.exists())
    first = stored.order_by("pk").first()
    job = finished(SynthesisJob, experiment.job_id)
    assert job.status == SynthesisJob.Status.SUCCEEDED, job.error
    assert sorted(stored.values_list("ratio", "seed")) == [(0, 0), (0, 1), (0.25, 0), (0.25, 1)]
    assert stored.filter(pk=first.pk, classifier=first.classifier).exists()  # not trained again
    # One registry row per run: none left behind by the dead worker, none duplicated.
    assert ClassifierModel.objects.filter(job=job).count() == 4
    experiment.refresh_from_db()
    assert experiment.report["held_out"]["seeds"] == [0, 1]


def test_a_tone_remeasure_job_goes_on_from_where_it_stopped(kill_queue, clinician, moderator):
    for row in demo_rows()[:8]:
        image_analyse(image_id=ingest(clinician, row["image_id"]).pk)
    LesionImage.objects.update(tone_measurement={"method_version": "old"})
    job = remeasure_job_create(user=moderator)
    kill_mid_run(
        kill_queue, SynthesisJob, job.pk, lambda row: (row.progress or {}).get("position", 0) >= 2
    )
    job = finished(SynthesisJob, job.pk)
    assert job.status == SynthesisJob.Status.SUCCEEDED, job.error
    assert job.progress["position"] == 8 and job.items_done + job.items_failed == 8
    # Each image counted once, though the dead worker measured some of them.
    counted = sum(job.progress[k] for k in ("gradable", "not_gradable", "failed"))
    assert counted == 8
    assert not LesionImage.objects.filter(tone_measurement__method_version="old").exists()
