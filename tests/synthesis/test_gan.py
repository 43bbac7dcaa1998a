"""DCGAN training and generation jobs: versions, resume, determinism and bad input."""

import pytest
import torch
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

from repository.job_errors import JobError
from repository.services.moderation import image_publish
from synthesis.models import GanModel, SynthesisJob, SyntheticImage
from synthesis.services.gan_generation import gan_generate_job_create, gan_generate_run
from synthesis.services.gan_training import gan_train_job_create, gan_train_resume, gan_train_run
from synthesis.services.job_harness import stale_after
from synthesis.services.jobs import job_fail
from tests.conftest import demo_rows, ingest, stored_files

pytestmark = pytest.mark.django_db
TINY = {
    "image_size": 64,
    "latent_dim": 16,
    "g_width": 8,
    "d_width": 8,
    "batch_size": 4,
    "steps": 4,
    "log_every": 1,
    "sample_every": 2,
    "checkpoint_every": 2,
}
EVAL = {"baseline_steps": 2, "encoder_steps": 2, "per_condition": 2}


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def public_images(clinician, moderator):
    """Four public demo images: melanoma on type V skin, naevi on type IV."""
    rows = demo_rows()[:4]
    images = []
    for row, (dx, fitz) in zip(rows, [("mel", 5), ("mel", 5), ("nv", 4), ("nv", 4)], strict=True):
        image = ingest(clinician, row["image_id"], diagnosis=dx, fitzpatrick=fitz)
        image_publish(image=image, moderator=moderator)
        images.append(image)
    return images


def train(moderator, **config) -> GanModel:
    job = gan_train_job_create(user=moderator, config={**TINY, **config}, evaluation=EVAL)
    return gan_train_run(job_id=job.pk, device="cpu")


def test_a_training_job_stores_a_ready_version_with_snapshot_metrics_and_files(
    moderator, public_images
):
    model = train(moderator)
    assert model.version == "dcgan-0001" and model.status == GanModel.Status.READY
    assert model.step == 4 and model.device == "cpu" and model.wall_seconds > 0
    assert [pk for pk, _sha in model.data_snapshot["images"]] == sorted(i.pk for i in public_images)
    assert model.config["g_width"] == 8 and len(model.history) == 4
    for name in (model.weights, model.checkpoint, model.sample_grid, model.loss_plot):
        assert default_storage.exists(name.name)
    metrics = model.metrics
    assert set(metrics["dcgan"]) >= {"tone_fidelity", "diversity", "frechet_distance"}
    assert metrics["baseline"]["n_generated"] == metrics["dcgan"]["n_generated"] == 4
    assert "diagnosis-CNN" in metrics["feature_space"] and "baseline" in metrics["side_by_side"]
    job = SynthesisJob.objects.get(pk=model.job_id)
    assert job.status == SynthesisJob.Status.SUCCEEDED and job.progress["version"] == model.version
    assert job.progress["step"] == 4 and "loss_d" in job.progress and job.percent == 100
    assert train(moderator, seed=1).version == "dcgan-0002"


class Killed(Exception):
    """Stands in for a worker killed mid-way."""


def kill_at_step(monkeypatch, step: int) -> None:
    from synthesis.ml.dcgan import training

    real = training.train_gan

    def dying_train_gan(records, config, *, progress, **kwargs):
        def report(event):
            progress(event)
            if event["step"] == step:
                raise Killed

        return real(records, config, progress=report, **kwargs)

    monkeypatch.setattr(training, "train_gan", dying_train_gan)


def test_a_job_killed_after_a_checkpoint_resumes_the_same_version_and_lineage(
    moderator, public_images, monkeypatch
):
    reference = train(moderator)
    job = gan_train_job_create(user=moderator, config=TINY, evaluation=EVAL)
    kill_at_step(monkeypatch, 3)
    with pytest.raises(Killed):
        gan_train_run(job_id=job.pk, device="cpu")
    monkeypatch.undo()
    job_fail(job_id=job.pk, reason=JobError.of("worker_lost", times=1))
    halfway = GanModel.objects.get(job=job)
    assert halfway.status == GanModel.Status.FAILED and halfway.step == 2
    assert default_storage.exists(halfway.checkpoint.name) and not halfway.weights

    gan_train_resume(job=job, user=moderator, enqueue=False)
    model = gan_train_run(job_id=job.pk, device="cpu")
    assert model.pk == halfway.pk and model.status == GanModel.Status.READY and model.step == 4
    assert GanModel.objects.filter(job=job).count() == 1
    # Same data, same seed, resumed from step 2: bit-for-bit the uninterrupted model.
    assert model.metrics["weights_sha256"] == reference.metrics["weights_sha256"]
    assert [h["step"] for h in model.history] == [1, 2, 3, 4]


def test_a_redelivered_task_takes_over_only_once_the_old_worker_stops_beating(
    moderator, public_images, monkeypatch
):
    job = gan_train_job_create(user=moderator, config=TINY, evaluation=EVAL)
    kill_at_step(monkeypatch, 3)
    with pytest.raises(Killed):
        gan_train_run(job_id=job.pk, device="cpu")
    monkeypatch.undo()
    # As after SIGKILL: the job is still running (its heartbeat fresh) and the version training.
    GanModel.objects.filter(job=job).update(status=GanModel.Status.TRAINING)
    SynthesisJob.objects.filter(pk=job.pk).update(
        status=SynthesisJob.Status.RUNNING, heartbeat_at=timezone.now(), claimed_by="dead"
    )
    assert gan_train_run(job_id=job.pk, device="cpu") is None  # a live worker may hold it
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.RUNNING and job.claimed_by == "dead"
    SynthesisJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - stale_after())
    model = gan_train_run(job_id=job.pk, device="cpu")
    assert model.status == GanModel.Status.READY and model.step == 4
    assert gan_train_run(job_id=job.pk, device="cpu") is None  # finished: nothing to do


def test_a_corrupted_checkpoint_fails_the_resume_clearly_and_nothing_becomes_ready(
    moderator, public_images, monkeypatch
):
    job = gan_train_job_create(user=moderator, config=TINY, evaluation=EVAL)
    kill_at_step(monkeypatch, 3)
    with pytest.raises(Killed):
        gan_train_run(job_id=job.pk, device="cpu")
    monkeypatch.undo()
    job_fail(job_id=job.pk, reason=JobError.of("worker_lost", times=1))
    model = GanModel.objects.get(job=job)
    with default_storage.open(model.checkpoint.name, "wb") as fh:
        fh.write(b"\x80garbage")
    gan_train_resume(job=job, user=moderator, enqueue=False)
    with pytest.raises(ValidationError, match="cannot be read"):
        gan_train_run(job_id=job.pk, device="cpu")
    model.refresh_from_db()
    assert model.status == GanModel.Status.FAILED and "cannot be read" in model.error
    assert not model.weights


def test_bad_training_settings_and_an_empty_database_are_clear_errors(moderator):
    with pytest.raises(ValidationError, match="image_size"):
        gan_train_job_create(user=moderator, config={**TINY, "image_size": 96})
    with pytest.raises(ValidationError, match="steps"):
        gan_train_job_create(user=moderator, config={**TINY, "steps": 0})
    job = gan_train_job_create(user=moderator, config=TINY, evaluation=EVAL, enqueue=False)
    with pytest.raises(ValidationError, match="usable images"):
        gan_train_run(job_id=job.pk, device="cpu")
    assert not GanModel.objects.exists()


@pytest.fixture
def ready_model(moderator, public_images) -> GanModel:
    return train(moderator)


def generate(user, model, **kwargs):
    values = {"conditions": [{"diagnosis": "mel", "fitzpatrick": 5}], "count": 3, "seed": 7}
    job = gan_generate_job_create(user=user, model_version=model.version, **{**values, **kwargs})
    gan_generate_run(job_id=job.pk, device="cpu")
    job.refresh_from_db()
    return job


def pixels(job) -> list[bytes]:
    rows = SyntheticImage.objects.filter(job=job).order_by("generation_key")
    return [default_storage.open(r.image.name).read() for r in rows]


def test_generation_writes_pending_rows_with_provenance_and_is_deterministic(
    moderator, ready_model, client
):
    first = generate(moderator, ready_model)
    assert first.status == SynthesisJob.Status.SUCCEEDED and first.items_done == 3
    rows = SyntheticImage.objects.filter(job=first)
    assert rows.count() == 3
    for row in rows:
        assert row.status == SyntheticImage.Status.PENDING_REVIEW
        assert row.method == "dcgan" and row.model_version == ready_model.version
        assert row.seed == 7 and row.fitzpatrick == 5 and row.diagnosis.code == "mel"
        assert row.conditions["diagnosis"] == "mel" and row.params["count"] == 3
        assert row.licence == "CC-BY-4.0" and row.width == 64
    assert not SyntheticImage.objects.public().filter(job=first).exists()
    assert pixels(generate(moderator, ready_model)) == pixels(first)
    assert pixels(generate(moderator, ready_model, seed=8)) != pixels(first)
    # A rerun of the same job writes nothing twice.
    SynthesisJob.objects.filter(pk=first.pk).update(status=SynthesisJob.Status.QUEUED)
    assert gan_generate_run(job_id=first.pk, device="cpu") == []
    assert SyntheticImage.objects.filter(job=first).count() == 3


def test_filling_thin_cells_asks_only_for_darker_cells_the_model_can_make(moderator, ready_model):
    job = generate(moderator, ready_model, conditions=None, fill_thin_cells=True, count=1)
    asked = {(c["diagnosis"], c["fitzpatrick"]) for c in job.params["conditions"]}
    assert asked == {("mel", 5), ("nv", 4)}
    assert SyntheticImage.objects.filter(job=job).count() == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model_version": "dcgan-0404"}, "no DCGAN model"),
        ({"count": 0}, "between 1 and"),
        ({"count": 5}, "between 1 and 4"),
        ({"conditions": [{"diagnosis": "mel", "fitzpatrick": 6}]}, "no training images"),
        ({"conditions": [{"diagnosis": "bcc", "fitzpatrick": 5}]}, "unknown diagnosis"),
        ({"conditions": []}, "at least one condition"),
        ({"seed": -1}, "seed"),
    ],
)
@override_settings(PIXGEN_GENERATION_MAX_COUNT=4)
def test_bad_generation_requests_are_clear_errors_that_leave_nothing(
    moderator, ready_model, kwargs, message
):
    before = stored_files()
    values = {
        "model_version": ready_model.version,
        "conditions": [{"diagnosis": "mel", "fitzpatrick": 5}],
        "count": 2,
        "seed": 0,
        **kwargs,
    }
    with pytest.raises(ValidationError, match=message):
        gan_generate_job_create(user=moderator, **values)
    assert not SynthesisJob.objects.filter(kind=SynthesisJob.Kind.GENERATE).exists()
    assert not SyntheticImage.objects.exists() and stored_files() == before


def test_corrupted_weights_fail_the_generation_job_with_no_rows_or_files(moderator, ready_model):
    from synthesis.tasks import generate_task

    default_storage.delete(ready_model.weights.name)
    default_storage.save(ready_model.weights.name, ContentFile(b"not a model"))
    job = gan_generate_job_create(
        user=moderator,
        model_version=ready_model.version,
        conditions=[{"diagnosis": "mel", "fitzpatrick": 5}],
        count=2,
        enqueue=False,
    )
    before = stored_files()
    with pytest.raises(ValidationError):
        generate_task(job.pk)
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.FAILED and "cannot be read" in job.error
    assert not SyntheticImage.objects.exists() and stored_files() == before
