"""Tone-transfer jobs: created with every input checked, run item by item, cancel/remove/retry."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from synthesis.ml.shipped_segmenter import SHIPPED_VERSION
from synthesis.ml.tone_backends.chromophore import CODE_VERSION as CHROMOPHORE_VERSION
from synthesis.models import JobItem, SynthesisJob, SyntheticImage
from synthesis.services.jobs import (
    job_cancel,
    job_create_tone_transfer,
    job_item_remove,
    job_items_retry,
)
from synthesis.services.tone_transfer import tone_transfer_run_item, tone_transfer_run_job
from synthesis.tasks import run_tone_transfer_job_task
from tests.conftest import stored_files
from tests.synthesis.conftest import IMAGE_IDS, demo_mask_bytes, png_bytes, publish

pytestmark = pytest.mark.django_db


def fitz(*types):
    return [{"kind": "fitzpatrick", "fitzpatrick": t} for t in types]


def test_a_job_holds_every_selected_image_at_every_target(moderator, public_images):
    job = job_create_tone_transfer(
        user=moderator, targets=fitz(5, 6), image_ids=[i.pk for i in public_images]
    )
    assert job.status == SynthesisJob.Status.QUEUED and job.items_total == 4
    assert set(job.items.values_list("target_key", flat=True)) == {"fitzpatrick:5", "fitzpatrick:6"}
    assert job.params["backend"] == "chromophore"


def test_the_image_list_filters_select_the_images(moderator, clinician, public_images):
    other = publish(clinician, moderator, IMAGE_IDS[2], diagnosis="bcc", with_mask=False)
    job = job_create_tone_transfer(
        user=moderator, targets=fitz(4), image_filter={"diagnosis": "bcc"}
    )
    assert list(job.items.values_list("source_image", flat=True)) == [other.pk]


def test_a_pending_image_cannot_be_selected(moderator, clinician):
    from tests.conftest import ingest

    pending = ingest(clinician, IMAGE_IDS[0])
    with pytest.raises(ValidationError) as exc:
        job_create_tone_transfer(user=moderator, targets=fitz(5), image_ids=[pending.pk])
    assert f"#{pending.pk}" in str(exc.value)
    assert not SynthesisJob.objects.exists()


@pytest.mark.parametrize("factory", ["clinician", "researcher", "plain_user"])
def test_only_moderators_and_reviewers_create_jobs(factory, request, public_images):
    user = request.getfixturevalue(factory)
    with pytest.raises(PermissionDenied):
        job_create_tone_transfer(user=user, targets=fitz(5), image_ids=[public_images[0].pk])
    assert not SynthesisJob.objects.exists()


def test_a_reviewer_may_create_a_job(reviewer, public_images):
    job = job_create_tone_transfer(user=reviewer, targets=fitz(5), image_ids=[public_images[0].pk])
    assert job.created_by == reviewer


@pytest.mark.parametrize(
    ("targets", "options", "message"),
    [
        (fitz(7), {}, "outside I–VI"),
        (fitz(0), {}, "outside I–VI"),
        ([{"kind": "ita", "ita_deg": 120}], {}, "within −90 to 90"),
        (
            [{"kind": "templates", "template_a": 1, "template_b": 2, "alpha": 1.5}],
            {},
            "between 0 (template A) and 1",
        ),
        (
            [{"kind": "templates", "template_a": 98765, "template_b": 98766, "alpha": 0.5}],
            {},
            "does not exist",
        ),
        (fitz(5), {"backend": "watercolour"}, "Unknown backend 'watercolour'"),
        (fitz(5), {"backend": "magenta"}, "needs a model handle"),
        (
            fitz(5),
            {"backend": "magenta", "backend_params": {"handle": "/nonexistent/model"}},
            "not a SavedModel folder",
        ),
        ([], {}, "at least one target"),
    ],
)
def test_bad_input_is_refused_before_anything_is_queued(
    moderator, public_images, targets, options, message
):
    with pytest.raises(ValidationError) as exc:
        job_create_tone_transfer(
            user=moderator, targets=targets, image_ids=[public_images[0].pk], **options
        )
    assert message in " ".join(exc.value.messages)
    assert not SynthesisJob.objects.exists() and not JobItem.objects.exists()


def test_an_item_becomes_a_pending_synthetic_image_with_its_provenance(moderator, public_images):
    source = public_images[0]
    job = job_create_tone_transfer(user=moderator, targets=fitz(5), image_ids=[source.pk], seed=7)
    job = tone_transfer_run_job(job_id=job.pk)
    assert job.status == SynthesisJob.Status.SUCCEEDED and job.items_done == 1
    synthetic = SyntheticImage.objects.get()
    assert synthetic.status == SyntheticImage.Status.PENDING_REVIEW
    assert synthetic.source_image == source and synthetic.job == job
    assert synthetic.backend == "chromophore" and synthetic.model_version == CHROMOPHORE_VERSION
    assert synthetic.fitzpatrick == 5 and synthetic.target["kind"] == "fitzpatrick"
    assert synthetic.seed == 7 and synthetic.licence == source.licence
    assert synthetic.diagnosis_id == source.diagnosis_id and synthetic.body_site == source.body_site
    assert synthetic.params["mask"]["source"] == "manual"
    m = synthetic.measurements
    assert {
        "skin_ita_before",
        "skin_ita_after",
        "in_band",
        "contrast_before",
        "contrast_after",
    } <= (m.keys())
    assert "ssim_luminance" in m and synthetic.measured_ita == m["skin_ita_after"]
    assert synthetic.in_band and -30 <= synthetic.measured_ita <= 10  # type V's ITA band
    assert synthetic.measured_ita < m["skin_ita_before"]
    assert default_storage.exists(synthetic.image.name)
    assert default_storage.exists(synthetic.thumbnail.name)
    assert (synthetic.width, synthetic.height) == (source.width, source.height)


def test_running_an_item_twice_gives_one_synthetic_image(moderator, public_images):
    job = job_create_tone_transfer(user=moderator, targets=fitz(6), image_ids=[public_images[0].pk])
    item = job.items.get()
    first = tone_transfer_run_item(item_id=item.pk)
    assert first is not None
    assert tone_transfer_run_item(item_id=item.pk) is None
    tone_transfer_run_job(job_id=job.pk)
    assert SyntheticImage.objects.count() == 1
    item.refresh_from_db()
    assert item.result == first and item.attempts == 1


def test_an_image_without_a_mask_gets_one_computed(moderator, clinician):
    image = publish(clinician, moderator, IMAGE_IDS[0], with_mask=False)
    assert not image.mask
    job = job_create_tone_transfer(user=moderator, targets=fitz(5), image_ids=[image.pk])
    tone_transfer_run_job(job_id=job.pk)
    synthetic = SyntheticImage.objects.get()
    # A dermoscopic image with no mask is segmented by the default, the shipped model.
    assert synthetic.params["mask"] == {"source": "computed", "segmenter": SHIPPED_VERSION}


def _break_mask(image):
    """Store a mask the wrong size for the image, as a bad upload or a bug could leave it."""
    name = default_storage.save("masks/broken.png", ContentFile(png_bytes(_small_mask())))
    image.mask = name
    image.save(update_fields=["mask"])


def _small_mask():
    import numpy as np

    mask = np.zeros((50, 60), dtype=np.uint8)
    mask[10:30, 10:30] = 255
    return mask


def test_a_mask_that_does_not_match_the_image_fails_the_item_with_a_message(
    moderator, public_images
):
    image = public_images[0]
    _break_mask(image)
    job = job_create_tone_transfer(user=moderator, targets=fitz(5), image_ids=[image.pk])
    before = stored_files()
    job = tone_transfer_run_job(job_id=job.pk)
    item = job.items.get()
    assert item.status == JobItem.Status.FAILED
    assert "The mask is 60×50 but the image is 600×450" in item.error
    assert job.status == SynthesisJob.Status.FAILED and "All 1 items failed" in job.error
    assert not SyntheticImage.objects.exists() and stored_files() == before


def test_failed_items_are_retried_and_succeed_once_fixed(moderator, public_images):
    image = public_images[0]
    _break_mask(image)
    job = job_create_tone_transfer(
        user=moderator, targets=fitz(5), image_ids=[i.pk for i in public_images]
    )
    job = tone_transfer_run_job(job_id=job.pk)
    assert job.status == SynthesisJob.Status.SUCCEEDED
    assert (job.items_done, job.items_failed) == (1, 1)
    image.mask = default_storage.save("masks/fixed.png", ContentFile(demo_mask_bytes(IMAGE_IDS[0])))
    image.save(update_fields=["mask"])
    assert job_items_retry(job=job, user=moderator) == 1
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.QUEUED
    job = tone_transfer_run_job(job_id=job.pk)
    assert (job.items_done, job.items_failed) == (2, 0)
    assert job.items.get(source_image=image).attempts == 2
    assert SyntheticImage.objects.count() == 2
    with pytest.raises(ValidationError, match="no failed items"):
        job_items_retry(job=job, user=moderator)


def test_a_cancelled_job_runs_nothing_more(moderator, public_images):
    job = job_create_tone_transfer(
        user=moderator, targets=fitz(5, 6), image_ids=[i.pk for i in public_images]
    )
    job_cancel(job=job, user=moderator)
    tone_transfer_run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.CANCELLED
    assert set(job.items.values_list("status", flat=True)) == {JobItem.Status.CANCELLED}
    assert not SyntheticImage.objects.exists()
    with pytest.raises(ValidationError, match="already finished"):
        job_cancel(job=job, user=moderator)


def test_cancelling_a_running_job_stops_it_between_items(moderator, public_images, monkeypatch):
    from synthesis.services import tone_transfer

    job = job_create_tone_transfer(
        user=moderator, targets=fitz(5, 6), image_ids=[i.pk for i in public_images]
    )
    original = tone_transfer.tone_transfer_run_item

    def run_then_cancel(*, item_id):
        result = original(item_id=item_id)
        job_cancel(job=job, user=moderator)
        return result

    monkeypatch.setattr(tone_transfer, "tone_transfer_run_item", run_then_cancel)
    tone_transfer_run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.CANCELLED
    assert SyntheticImage.objects.count() == 1
    assert job.items.filter(status=JobItem.Status.CANCELLED).count() == 3


def test_a_queued_item_can_be_removed_but_not_a_finished_one(moderator, public_images):
    job = job_create_tone_transfer(
        user=moderator, targets=fitz(5), image_ids=[i.pk for i in public_images]
    )
    first, second = job.items.order_by("pk")
    job_item_remove(item=second, user=moderator)
    job.refresh_from_db()
    assert job.items_total == 1
    tone_transfer_run_job(job_id=job.pk)
    second.refresh_from_db()
    assert second.status == JobItem.Status.REMOVED and second.result is None
    with pytest.raises(ValidationError, match="Only queued items can be removed"):
        job_item_remove(item=first, user=moderator)
    assert SyntheticImage.objects.count() == 1


def test_the_task_marks_its_job_failed_with_the_reason_and_reraises(
    moderator, public_images, monkeypatch
):
    from synthesis.services import tone_transfer

    job = job_create_tone_transfer(user=moderator, targets=fitz(5), image_ids=[public_images[0].pk])

    def broken(*, job_id):
        raise RuntimeError("database went away")

    monkeypatch.setattr(tone_transfer, "job_refresh_counts", broken)
    with pytest.raises(RuntimeError):
        run_tone_transfer_job_task(job.pk)
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.FAILED
    assert job.error_code == "unexpected"
    assert job.error == "Unexpected error: RuntimeError: database went away"
