"""The job harness's rules on their own: one claim, takeover only of a stale job, the one
progress writer, and writes that stop once a run no longer holds its job."""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from repository.job_errors import JobError
from synthesis.models import ClassifierModel, SynthesisJob
from synthesis.services import job_harness
from synthesis.services.job_harness import (
    job_claim,
    model_version_create,
    stale_after,
    weights_store,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(moderator):
    return SynthesisJob.objects.create(kind=SynthesisJob.Kind.REMEASURE_TONE, created_by=moderator)


def test_a_queued_job_is_claimed_once_and_a_live_one_is_not_taken_over(job):
    run = job_claim(SynthesisJob, job.pk)
    assert run is not None and not run.taken_over and run.row.status == "running"
    assert job_claim(SynthesisJob, job.pk) is None  # its heartbeat is fresh
    SynthesisJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - stale_after() - timezone.timedelta(seconds=1)
    )
    second = job_claim(SynthesisJob, job.pk)
    assert second is not None and second.taken_over and second.row.attempts == 2
    # The first run lost the job: it sees so, and nothing it writes lands.
    assert run.beat(force=True) is False and run.should_stop()
    run.progress(position=99)
    assert not run.succeed() and not run.fail(JobError.of("time_limit", what="job"))
    job.refresh_from_db()
    assert job.status == "running" and job.claimed_by == second.token
    assert "position" not in job.progress and job.error == ""


def test_progress_merges_forgets_and_beats(job, monkeypatch):
    run = job_claim(SynthesisJob, job.pk)
    run.progress(phase="training", step=3, eta_s=40)
    run.progress(step=4)
    assert SynthesisJob.objects.get(pk=job.pk).progress == {
        "phase": "training",
        "step": 4,
        "eta_s": 40,
    }
    before = SynthesisJob.objects.get(pk=job.pk).heartbeat_at
    run.progress(phase="evaluating", forget=("eta_s",))
    row = SynthesisJob.objects.get(pk=job.pk)
    assert row.progress == {"phase": "evaluating", "step": 4}
    assert row.heartbeat_at >= before and run.row.progress == row.progress
    assert run.succeed() and SynthesisJob.objects.get(pk=job.pk).status == "succeeded"


def test_a_job_that_took_its_worker_down_too_often_is_failed_not_claimed(job, settings):
    settings.PIXGEN_JOB_MAX_ATTEMPTS = 2
    SynthesisJob.objects.filter(pk=job.pk).update(status="running", attempts=2, heartbeat_at=None)
    assert job_claim(SynthesisJob, job.pk) is None
    job.refresh_from_db()
    assert job.status == "failed" and job.error_code == "worker_lost"
    assert "lost 2 times" in job.error


def test_versions_are_numbered_per_prefix_and_weights_stored_with_their_checksum(job):
    first = model_version_create(ClassifierModel, prefix="dx7", task="dx7", job=job)
    other = model_version_create(ClassifierModel, prefix="malignancy", task="malignancy", job=job)
    second = model_version_create(ClassifierModel, prefix="dx7", task="dx7", job=job)
    assert [first.version, other.version, second.version] == [
        "dx7-0001",
        "malignancy-0001",
        "dx7-0002",
    ]
    name, digest = weights_store("classifiers/test.pt", b"weights")
    with default_storage.open(name, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == digest


def test_should_stop_is_throttled(job, monkeypatch):
    run = job_claim(SynthesisJob, job.pk)
    SynthesisJob.objects.filter(pk=job.pk).update(status="cancelled")
    assert run.should_stop() is False  # within BEAT_EVERY of the claim: not looked yet
    monkeypatch.setattr(job_harness, "BEAT_EVERY", 0)
    assert run.should_stop() is True
