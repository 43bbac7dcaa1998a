"""The DCGAN pages: registry, model detail with metrics and images, train/generate forms."""

import pytest
from django.test import override_settings
from django.urls import reverse

from synthesis.models import GanModel, SynthesisJob, SyntheticImage
from synthesis.services.gan_generation import gan_generate_run
from synthesis.services.gan_training import gan_train_run
from tests.synthesis.test_gan import EVAL, TINY, public_images, train  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_moderator_trains_from_the_page_and_follows_the_job(client, moderator, public_images):  # noqa: F811
    client.force_login(moderator)
    assert client.get(reverse("synthesis-gans")).status_code == 200
    form = {"image_size": 64, "steps": 2, "batch_size": 4, "width": 8, "seed": 0}
    response = client.post(reverse("synthesis-gan-train"), form)
    job = SynthesisJob.objects.get(kind=SynthesisJob.Kind.TRAIN_DCGAN)
    assert response.url == reverse("synthesis-job-detail", args=[job.pk])
    SynthesisJob.objects.filter(pk=job.pk).update(params={**job.params, "evaluation": EVAL})
    model = gan_train_run(job_id=job.pk, device="cpu")
    page = client.get(reverse("synthesis-job-detail", args=[job.pk])).content.decode()
    assert model.version in page and "D loss" in page and "gan-samples" in page
    for kind in ("samples", "losses"):
        image = client.get(reverse("synthesis-gan-image", args=[model.version, kind]))
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    detail = client.get(reverse("synthesis-gan-detail", args=[model.version])).content.decode()
    assert "DCGAN and baseline side by side" in detail and "diagnosis-CNN" in detail


def test_bad_training_settings_on_the_page_are_a_message_not_a_crash(client, moderator):
    client.force_login(moderator)
    form = {"image_size": 96, "steps": 2, "batch_size": 4, "width": 8, "seed": 0}
    response = client.post(reverse("synthesis-gan-train"), form, follow=True)
    assert (
        response.status_code == 200 and "Check the training settings" in response.content.decode()
    )
    assert not SynthesisJob.objects.exists()


@override_settings(PIXGEN_GENERATION_MAX_COUNT=3)
def test_generating_from_the_model_page(client, moderator, public_images):  # noqa: F811
    model = train(moderator)
    client.force_login(moderator)
    url = reverse("synthesis-gan-detail", args=[model.version])
    bad = client.post(url, {"diagnosis": "mel", "fitzpatrick": 5, "count": 4, "seed": 1})
    assert bad.status_code == 400 and "between 1 and 3" in bad.content.decode()
    untrained = client.post(url, {"diagnosis": "mel", "fitzpatrick": 6, "count": 2, "seed": 1})
    assert untrained.status_code == 400 and "no training images" in untrained.content.decode()
    assert not SynthesisJob.objects.filter(kind=SynthesisJob.Kind.GENERATE).exists()
    good = client.post(url, {"diagnosis": "mel", "fitzpatrick": 5, "count": 2, "seed": 1})
    job = SynthesisJob.objects.get(kind=SynthesisJob.Kind.GENERATE)
    assert good.status_code == 302 and job.params["conditions"][0]["fitzpatrick"] == 5
    gan_generate_run(job_id=job.pk, device="cpu")
    assert SyntheticImage.objects.filter(job=job).count() == 2
    page = client.get(reverse("synthesis-job-detail", args=[job.pk])).content.decode()
    assert "wait for dermatologist review" in page
    generated = SyntheticImage.objects.filter(job=job).first()
    detail = reverse("synthesis-image-detail", args=[generated.pk])
    assert client.get(detail).status_code == 200
    # Pending review: invisible to the public, page and file alike.
    client.logout()
    assert client.get(detail).status_code == 404
    file_url = reverse("synthesis-image-file", args=[generated.pk, "image"])
    assert client.get(file_url).status_code == 404
    assert not SyntheticImage.objects.public().exists()


def test_unknown_versions_and_other_roles_get_clear_answers(client, moderator, clinician):
    client.force_login(moderator)
    assert client.get(reverse("synthesis-gan-detail", args=["dcgan-0404"])).status_code == 404
    GanModel.objects.create(version="dcgan-0001", image_size=64)
    assert (
        client.get(reverse("synthesis-gan-image", args=["dcgan-0001", "samples"])).status_code
        == 404
    )
    client.force_login(clinician)
    assert client.get(reverse("synthesis-gans")).status_code == 403
