"""Issue 14 through the product: drawn targets, independent measurements and the realism score
stored with each output and shown to reviewers; real-skin templates proposed on publishing;
bad input (distribution file, seed, non-skin or too-small templates) refused everywhere."""

import json

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from synthesis.ml.skin_colorimetry import published_distributions
from synthesis.models import JobItem, StyleTemplate, SynthesisJob, SyntheticImage
from synthesis.services.jobs import job_create_tone_transfer
from synthesis.services.review import review_submit
from synthesis.services.review_report import review_report
from synthesis.services.templates import (
    style_template_create_from_upload,
    style_template_decide,
    style_template_propose_from_image,
)
from synthesis.services.tone_transfer import tone_transfer_run_job
from tests.conftest import DEMO_DIR
from tests.synthesis.conftest import IMAGE_IDS, png_bytes, publish

pytestmark = pytest.mark.django_db

IMAGE = str(DEMO_DIR / "images" / f"{IMAGE_IDS[0]}.jpg")
MASK = str(DEMO_DIR / "masks" / f"{IMAGE_IDS[0]}.png")


def fitz(*types):
    return [{"kind": "fitzpatrick", "fitzpatrick": t} for t in types]


def missing_type_vi() -> dict:
    data = published_distributions().as_dict()
    del data["types"]["6"]
    return data


def run(moderator, images, **kwargs):
    job = job_create_tone_transfer(
        user=moderator, targets=fitz(6), image_ids=[i.pk for i in images], **kwargs
    )
    tone_transfer_run_job(job_id=job.pk)
    return job


def test_each_output_records_its_drawn_colour_and_independent_measurements(
    moderator, public_images
):
    job = run(moderator, public_images, backend="chromophore")
    outputs = list(SyntheticImage.objects.filter(job=job).order_by("pk"))
    assert len(outputs) == 2
    draws = [o.target_draw for o in outputs]
    assert all(d["fitzpatrick"] == 6 and d["distribution"] for d in draws)
    assert draws[0]["seed"] != draws[1]["seed"]  # each output its own seed
    assert draws[0]["ita_deg"] != draws[1]["ita_deg"]
    for output in outputs:
        assert output.seed == 0  # the job's seed; each draw has its own
        assert output.skin_tone["gradable"] and output.skin_tone["method_version"]
        assert output.lesion_fidelity["delta_e_before"] > 0
        assert output.lesion_fidelity_ok is not None
        assert output.realism_score is not None and output.realism_band
    # A retry draws the same colour: the seed comes from the job, the image and the target.
    again = run(moderator, public_images, backend="chromophore")
    again_draws = [o.target_draw for o in SyntheticImage.objects.filter(job=again).order_by("pk")]
    assert again_draws == draws


def test_the_review_page_and_gallery_show_the_measurements(
    client, moderator, reviewer, public_images
):
    run(moderator, public_images[:1], backend="chromophore")
    output = SyntheticImage.objects.get()
    client.force_login(reviewer)
    page = client.get(reverse("synthesis-review-item", args=[output.pk])).content.decode()
    for marker in ("drawn-colour", "measured-skin", "lesion-fidelity", "realism-score"):
        assert f'id="{marker}"' in page
    gallery = client.get(reverse("synthesis-images")).content.decode()
    assert "drawn ITA" in gallery and "realism" in gallery


def test_the_review_report_gives_approval_per_backend_and_realism_band(
    moderator, reviewer, public_images
):
    run(moderator, public_images[:1], backend="chromophore")
    output = SyntheticImage.objects.get()
    review_submit(
        synthetic=output,
        reviewer=reviewer,
        decision="approve",
        realism=4,
        tone_correct=True,
        features_preserved=True,
    )
    report = review_report(user=moderator)["realism_approval"]
    assert [b["backend"] for b in report["backends"]] == ["chromophore"]
    assert report["backends"][0]["successes"] == 1 and report["backends"][0]["trials"] == 1
    assert [b["band"] for b in report["bands"]] == [output.realism_band]


# --- bad input: distribution file, seed ------------------------------------------------------


def test_a_distribution_with_missing_types_is_refused_by_the_service(moderator, public_images):
    with pytest.raises(ValidationError) as exc:
        job_create_tone_transfer(
            user=moderator,
            targets=fitz(6),
            image_ids=[public_images[0].pk],
            target_distribution=missing_type_vi(),
        )
    assert "lacks Fitzpatrick type(s) 6" in str(exc.value.message_dict["target_distribution"])
    assert not SynthesisJob.objects.exists()


def test_the_form_shows_distribution_and_seed_errors(client, moderator, public_images):
    client.force_login(moderator)
    upload = SimpleUploadedFile("d.json", json.dumps(missing_type_vi()).encode())
    response = client.post(
        reverse("synthesis-job-create"),
        {
            "mode": "types",
            "fitzpatrick_targets": ["6"],
            "image_ids": str(public_images[0].pk),
            "backend": "melanin",
            "seed": "1.5",
            "target_distribution": upload,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The seed must be a whole number" in page
    assert not SynthesisJob.objects.exists()
    upload = SimpleUploadedFile("d.json", json.dumps(missing_type_vi()).encode())
    response = client.post(
        reverse("synthesis-job-create"),
        {
            "mode": "types",
            "fitzpatrick_targets": ["6"],
            "image_ids": str(public_images[0].pk),
            "backend": "melanin",
            "seed": "3",
            "target_distribution": upload,
        },
    )
    assert response.status_code == 400
    assert "lacks Fitzpatrick type(s) 6" in response.content.decode()


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"seed": 1.5}, "seed"), ({"seed": "x"}, "seed"), ({"target_distribution": {}}, None)],
)
def test_the_api_refuses_bad_seeds_and_distributions(moderator, public_images, extra, field):
    api = APIClient()
    api.force_authenticate(moderator)
    payload = {"targets": fitz(6), "image_ids": [public_images[0].pk], **extra}
    response = api.post("/api/v1/jobs/", payload, format="json")
    if field is None:  # an empty distribution means the published one
        assert response.status_code == 201
        return
    assert response.status_code == 400 and field in response.json()


def test_the_api_reports_a_distribution_with_missing_types(moderator, public_images):
    api = APIClient()
    api.force_authenticate(moderator)
    payload = {
        "targets": fitz(6),
        "image_ids": [public_images[0].pk],
        "target_distribution": missing_type_vi(),
    }
    response = api.post("/api/v1/jobs/", payload, format="json")
    assert response.status_code == 400
    assert "lacks Fitzpatrick type" in json.dumps(response.json())


def test_a_job_item_with_an_unusable_distribution_fails_with_its_message(moderator, public_images):
    job = job_create_tone_transfer(user=moderator, targets=fitz(6), image_ids=[public_images[0].pk])
    # A job stored before the check (or edited by hand) still fails cleanly, item by item.
    SynthesisJob.objects.filter(pk=job.pk).update(
        params={**job.params, "target_distribution": missing_type_vi()}
    )
    tone_transfer_run_job(job_id=job.pk)
    item = JobItem.objects.get(job=job)
    assert item.status == JobItem.Status.FAILED
    assert "lacks Fitzpatrick type" in item.error
    assert not SyntheticImage.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "1.5"], "The seed must be a whole number"),
        (["--target-distribution", "MISSING_VI"], "lacks Fitzpatrick type(s) 6"),
        (["--target-distribution", "/no/such.json"], "No such target distribution file"),
    ],
)
def test_transfer_tone_explains_bad_seeds_and_distributions(tmp_path, args, message):
    bad = tmp_path / "d.json"
    bad.write_text(json.dumps(missing_type_vi()))
    out = tmp_path / "out.png"
    args = [str(bad) if a == "MISSING_VI" else a for a in args]
    with pytest.raises(CommandError) as exc:
        call_command(
            "transfer_tone", "--image", IMAGE, "--mask", MASK, "--fitzpatrick", "VI", *args,
            "--out", str(out),
        )  # fmt: skip
    assert message in str(exc.value)
    assert not out.exists()


def test_transfer_tone_draws_a_colour_with_the_seed(tmp_path, capsys):
    out = tmp_path / "vi.png"
    call_command(
        "transfer_tone", "--image", IMAGE, "--mask", MASK, "--fitzpatrick", "VI",
        "--backend", "chromophore", "--seed", "42", "--out", str(out),
    )  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert result["target"]["drawn"]["seed"] == 42
    assert result["measurements"]["lesion_fidelity"]["passes"] is not None


# --- templates from real skin ----------------------------------------------------------------


def test_publishing_a_type_v_image_proposes_its_healthy_skin(clinician, moderator):
    image = publish(clinician, moderator, IMAGE_IDS[0], fitzpatrick=5, licence="CC-BY-4.0")
    template = style_template_propose_from_image(image=image)
    assert template is not None
    assert template.status == StyleTemplate.Status.PROPOSED and not template.is_active
    assert template.origin == StyleTemplate.Origin.REAL
    assert template.licence == "CC-BY-4.0" and template.attribution
    assert template.texture["luminance"] and template.skin_share >= 0.6
    assert not StyleTemplate.objects.active().filter(pk=template.pk).exists()
    accepted = style_template_decide(template=template, user=moderator, accept=True)
    assert StyleTemplate.objects.real_skin().filter(pk=accepted.pk).exists()
    assert style_template_propose_from_image(image=image) is None  # once per image
    with pytest.raises(ValidationError):
        style_template_decide(template=template, user=moderator, accept=False)


def test_a_light_image_proposes_nothing(clinician, moderator):
    image = publish(clinician, moderator, IMAGE_IDS[0], fitzpatrick=2)
    assert style_template_propose_from_image(image=image) is None


def test_an_accepted_real_template_lends_its_texture_to_outputs(moderator, clinician):
    source = publish(clinician, moderator, IMAGE_IDS[1], fitzpatrick=6)
    template = style_template_propose_from_image(image=source)
    style_template_decide(template=template, user=moderator, accept=True)
    target = publish(clinician, moderator, IMAGE_IDS[0], fitzpatrick=2)
    run(moderator, [target], backend="chromophore")
    output = SyntheticImage.objects.get(source_image=target)
    assert output.params["texture"]["applied"]
    assert output.measurements["realism"]["texture_references"] == 1


def test_a_patch_that_is_not_skin_is_refused(moderator):
    green = np.zeros((64, 64, 3), dtype=np.uint8)
    green[..., 1] = 180
    with pytest.raises(ValidationError) as exc:
        style_template_create_from_upload(
            user=moderator, name="grass", fitzpatrick=5, data=png_bytes(green)
        )
    message = " ".join(exc.value.messages)
    assert "skin" in message and (
        "reads as skin" in message or "too little healthy skin" in message
    )
    assert not StyleTemplate.objects.exists()


def test_a_real_template_too_small_for_texture_is_a_job_error(moderator, public_images):
    from tests.ml.tone_fixtures import demo_case, skin_patch

    small = skin_patch(*demo_case(IMAGE_IDS[0]), size=40)
    a = style_template_create_from_upload(
        user=moderator, name="small", fitzpatrick=5, data=png_bytes(small)
    )
    b = style_template_create_from_upload(
        user=moderator, name="small-b", fitzpatrick=6, data=png_bytes(small)
    )
    with pytest.raises(ValidationError) as exc:
        job_create_tone_transfer(
            user=moderator,
            targets=[{"kind": "templates", "template_a": a.pk, "template_b": b.pk, "alpha": 0.2}],
            image_ids=[public_images[0].pk],
        )
    assert "needs at least 48 px" in " ".join(exc.value.messages)
