"""Targets other than a Fitzpatrick type, and the magenta backend's failure modes."""

import pytest
from django.core.exceptions import ValidationError

from synthesis.models import JobItem, SynthesisJob, SyntheticImage
from synthesis.services.jobs import job_create_tone_transfer
from synthesis.services.tone_transfer import tone_transfer_run_job
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db


def test_an_ita_target_lands_within_five_degrees(moderator, public_images):
    job = job_create_tone_transfer(
        user=moderator,
        targets=[{"kind": "ita", "ita_deg": -20}],
        image_ids=[public_images[0].pk],
        backend="lab-stats",
    )
    tone_transfer_run_job(job_id=job.pk)
    synthetic = SyntheticImage.objects.get()
    assert synthetic.fitzpatrick is None and synthetic.backend == "lab-stats"
    assert synthetic.target["ita_deg"] == -20 and synthetic.in_band
    assert abs(synthetic.measured_ita + 20) <= 5


def test_a_templates_mix_records_both_templates_and_alpha(
    moderator, public_images, default_templates
):
    a, b = default_templates[3], default_templates[5]  # IV and VI
    job = job_create_tone_transfer(
        user=moderator,
        targets=[{"kind": "templates", "template_a": a.pk, "template_b": b.pk, "alpha": 0.5}],
        image_ids=[public_images[0].pk],
    )
    tone_transfer_run_job(job_id=job.pk)
    synthetic = SyntheticImage.objects.get()
    assert set(synthetic.templates.all()) == {a, b}
    assert synthetic.target["alpha"] == 0.5 and synthetic.target["template_names"] == [
        a.name,
        b.name,
    ]
    assert b.ita_deg < synthetic.target["target_ita_deg"] < a.ita_deg


def test_a_retired_template_is_missing_for_a_new_job(moderator, public_images, default_templates):
    retired = default_templates[0]
    retired.is_active = False
    retired.save()
    with pytest.raises(ValidationError, match="does not exist or is not active"):
        job_create_tone_transfer(
            user=moderator,
            targets=[
                {
                    "kind": "templates",
                    "template_a": retired.pk,
                    "template_b": default_templates[1].pk,
                    "alpha": 0.2,
                }
            ],
            image_ids=[public_images[0].pk],
        )


def test_magenta_without_a_template_of_the_type_is_refused(moderator, public_images, tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"x")
    with pytest.raises(ValidationError, match="needs a style template of Fitzpatrick type 5"):
        job_create_tone_transfer(
            user=moderator,
            targets=[{"kind": "fitzpatrick", "fitzpatrick": 5}],
            image_ids=[public_images[0].pk],
            backend="magenta",
            backend_params={"handle": str(tmp_path)},
        )


def test_a_magenta_handle_that_does_not_load_fails_the_item_not_the_worker(
    moderator, public_images, default_templates, tmp_path
):
    (tmp_path / "saved_model.pb").write_bytes(b"this is not a SavedModel")
    job = job_create_tone_transfer(
        user=moderator,
        targets=[{"kind": "fitzpatrick", "fitzpatrick": 5}],
        image_ids=[public_images[0].pk],
        backend="magenta",
        backend_params={"handle": str(tmp_path)},
    )
    before = stored_files()
    job = tone_transfer_run_job(job_id=job.pk)
    item = job.items.get()
    assert item.status == JobItem.Status.FAILED
    assert "cannot load stylization model" in item.error or "needs TensorFlow" in item.error
    assert job.status == SynthesisJob.Status.FAILED
    assert not SyntheticImage.objects.exists() and stored_files() == before
