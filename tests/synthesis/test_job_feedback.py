"""Feedback on long work: a job page says what phase the work is in, how far it is and how long
is left, and its tiles change with the bar instead of waiting for a reload."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from synthesis.models import JobItem, SynthesisJob
from synthesis.services import gan_training
from synthesis.services.gan_training import gan_train_job_create, gan_train_run
from synthesis.services.jobs import job_create_tone_transfer
from synthesis.services.tone_transfer import tone_transfer_run_item
from tests.synthesis.test_gan import EVAL, TINY
from tests.synthesis.test_gan import public_images as gan_images  # noqa: F401

pytestmark = pytest.mark.django_db


def _running_tone_job(moderator, images):
    job = job_create_tone_transfer(
        user=moderator,
        targets=[{"kind": "fitzpatrick", "fitzpatrick": 5}],
        image_ids=[i.pk for i in images[:2]],
    )
    SynthesisJob.objects.filter(pk=job.pk).update(
        status=SynthesisJob.Status.RUNNING, started_at=timezone.now() - timedelta(seconds=4)
    )
    first = job.items.order_by("pk").first()
    tone_transfer_run_item(item_id=first.pk)
    return job, list(job.items.order_by("pk"))


def test_tiles_asked_for_come_back_drawn_with_their_new_state(client, moderator, public_images):
    job, items = _running_tone_job(moderator, public_images)
    client.force_login(moderator)
    page = client.get(reverse("synthesis-job-detail", args=[job.pk])).content.decode()
    assert 'data-status="succeeded"' in page and 'data-status="queued"' in page
    url = reverse("synthesis-job-progress", args=[job.pk])
    data = client.get(url, {"tiles": f"{items[0].pk},{items[1].pk},abc,999999"}).json()
    assert set(data["tiles"]) == {str(items[0].pk), str(items[1].pk)}
    done = data["tiles"][str(items[0].pk)]
    assert done["status"] == JobItem.Status.SUCCEEDED
    result = JobItem.objects.get(pk=items[0].pk).result
    assert reverse("synthesis-image-file", args=[result.pk, "thumbnail"]) in done["html"]
    assert data["tiles"][str(items[1].pk)]["status"] == JobItem.Status.QUEUED
    assert data["items_done"] == 1 and data["eta_s"] >= 1  # one of two done: time is countable
    assert "tiles" in client.get(url).json() and not client.get(url).json()["tiles"]


def test_a_finished_or_queued_job_has_no_eta(client, moderator, public_images):
    job = job_create_tone_transfer(
        user=moderator,
        targets=[{"kind": "fitzpatrick", "fitzpatrick": 5}],
        image_ids=[public_images[0].pk],
    )
    client.force_login(moderator)
    assert client.get(reverse("synthesis-job-progress", args=[job.pk])).json()["eta_s"] is None


def test_training_says_evaluating_after_the_last_step(moderator, gan_images, monkeypatch):  # noqa: F811
    job = gan_train_job_create(user=moderator, config=TINY, evaluation=EVAL)
    seen = {}
    evaluate = gan_training.gan_evaluate

    def spy(**kwargs):
        seen.update(SynthesisJob.objects.get(pk=job.pk).progress)
        return evaluate(**kwargs)

    monkeypatch.setattr(gan_training, "gan_evaluate", spy)
    gan_train_run(job_id=job.pk, device="cpu")
    assert seen["phase"] == "evaluating" and seen["step"] == TINY["steps"]
    assert "eta_s" not in seen
    progress = SynthesisJob.objects.get(pk=job.pk).progress
    assert progress["phase"] == "done"


def test_the_training_page_shows_no_image_before_the_first_sample(
    client,
    moderator,
    gan_images,  # noqa: F811
):
    job = gan_train_job_create(user=moderator, config=TINY, evaluation=EVAL)
    client.force_login(moderator)
    # A version row exists but nothing is sampled yet: a worker has just started training.
    gan_training._create_version(
        job, gan_training.GanConfig.from_dict(job.params["config"]), {}, "cpu"
    )
    page = client.get(reverse("synthesis-job-detail", args=[job.pk])).content.decode()
    assert 'id="gan-samples-wait"' in page and 'id="gan-samples"' not in page
    assert 'id="gan-losses-wait"' in page and 'id="gan-losses"' not in page
    assert "The first sample grid appears at step 2" in page
