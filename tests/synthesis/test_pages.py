"""The synthesis pages: reachable by moderators and reviewers, bad input is a form error, and
synthetic images stay invisible to everyone else on every page and media URL."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from synthesis.ml.tone_backends.chromophore import CODE_VERSION as CHROMOPHORE_VERSION
from synthesis.models import JobItem, StyleTemplate, SynthesisJob, SyntheticImage
from synthesis.services.jobs import job_create_tone_transfer
from synthesis.services.tone_transfer import tone_transfer_run_job
from tests.synthesis.conftest import png_bytes
from tests.synthesis.test_templates import demo_patch

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_job(moderator, public_images):
    job = job_create_tone_transfer(
        user=moderator,
        targets=[{"kind": "fitzpatrick", "fitzpatrick": 5}],
        image_ids=[public_images[0].pk],
    )
    return tone_transfer_run_job(job_id=job.pk)


def form_data(**overrides):
    data = {"mode": "types", "fitzpatrick_targets": ["5", "6"], "backend": "melanin", "seed": "0"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_nav_links_synthesis_for_reviewers_only(client, reviewer, clinician):
    # Match whole hrefs: the jobs URL "/synthesis/" is a prefix of the public audits link.
    jobs = f'href="{reverse("synthesis-jobs")}"'
    review = f'href="{reverse("synthesis-review-queue")}"'
    audits = f'href="{reverse("synthesis-audits")}"'
    client.force_login(reviewer)
    page = client.get("/").content.decode()
    assert jobs in page and review in page and audits in page
    client.force_login(clinician)
    page = client.get("/").content.decode()
    assert jobs not in page and review not in page
    assert audits in page  # bias audits are public


def test_a_reviewer_creates_a_job_from_the_form(client, reviewer, public_images):
    client.force_login(reviewer)
    assert client.get(reverse("synthesis-job-create")).status_code == 200
    response = client.post(
        reverse("synthesis-job-create"),
        form_data(diagnosis="mel", image_ids=f"{public_images[0].pk}, {public_images[1].pk}"),
    )
    job = SynthesisJob.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "synthesis-job-detail", args=[job.pk]
    )
    assert job.items_total == 4
    page = client.get(response.url)
    assert page.status_code == 200 and "4 of 4" not in page.content.decode()
    progress = client.get(reverse("synthesis-job-progress", args=[job.pk])).json()
    assert progress["status"] == "queued" and progress["items_total"] == 4


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mode": "ita", "ita": "120"}, "within −90 to 90"),
        ({"mode": "templates", "alpha": "0.5"}, "does not exist or is not active"),
        ({"backend": "magenta"}, "needs a model handle"),
        ({"backend": "magenta", "handle": "/no/such/model"}, "not a SavedModel folder"),
        ({"backend": "watercolour"}, "Select a valid choice"),
        ({"fitzpatrick_targets": ["9"]}, "Select a valid choice"),
        ({"fitzpatrick_targets": None}, "Choose at least one target"),
        ({"image_ids": "12, abc"}, "separated by commas"),
        ({"diagnosis": "vasc"}, "No public image matches"),
    ],
)
def test_bad_input_on_the_form_is_an_error_not_a_job(
    client, moderator, public_images, overrides, message
):
    client.force_login(moderator)
    response = client.post(reverse("synthesis-job-create"), form_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SynthesisJob.objects.exists()


def test_an_alpha_outside_zero_to_one_is_a_form_error(
    client, moderator, public_images, default_templates
):
    client.force_login(moderator)
    response = client.post(
        reverse("synthesis-job-create"),
        form_data(
            mode="templates",
            template_a=default_templates[3].pk,
            template_b=default_templates[5].pk,
            alpha="1.5",
        ),
    )
    assert (
        response.status_code == 400 and "between 0 (template A) and 1" in response.content.decode()
    )
    assert not SynthesisJob.objects.exists()


def test_the_job_page_shows_before_and_after(client, reviewer, finished_job):
    client.force_login(reviewer)
    synthetic = SyntheticImage.objects.get()
    page = client.get(reverse("synthesis-job-detail", args=[finished_job.pk])).content.decode()
    assert reverse("image-file", args=[synthetic.source_image_id, "thumbnail"]) in page
    assert reverse("synthesis-image-file", args=[synthetic.pk, "thumbnail"]) in page
    assert "Fitzpatrick V" in page and "in the target band" in page
    detail = client.get(reverse("synthesis-image-detail", args=[synthetic.pk]))
    assert detail.status_code == 200 and CHROMOPHORE_VERSION in detail.content.decode()
    image = client.get(reverse("synthesis-image-file", args=[synthetic.pk, "image"]))
    assert image.status_code == 200 and image["Cache-Control"] == "private, no-store"
    assert client.get(reverse("synthesis-jobs")).status_code == 200
    assert client.get(reverse("synthesis-images")).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "clinician", "researcher", "plain_user"])
def test_synthetic_images_are_invisible_to_everyone_but_staff(client, request, who, finished_job):
    synthetic = SyntheticImage.objects.get()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for kind in ("image", "thumbnail"):
        assert (
            client.get(reverse("synthesis-image-file", args=[synthetic.pk, kind])).status_code
            == 404
        )
    assert client.get(reverse("synthesis-image-detail", args=[synthetic.pk])).status_code == 404
    for name in (
        "synthesis-jobs",
        "synthesis-images",
        "synthesis-templates",
        "synthesis-segmenters",
    ):
        assert client.get(reverse(name)).status_code in (302, 403)
    assert client.get(reverse("synthesis-job-detail", args=[finished_job.pk])).status_code in (
        302,
        403,
    )
    assert client.get(reverse("synthesis-job-progress", args=[finished_job.pk])).status_code in (
        302,
        403,
    )
    assert (
        reverse("synthesis-image-file", args=[synthetic.pk, "thumbnail"])
        not in client.get(reverse("image-list")).content.decode()
    )
    assert not SyntheticImage.objects.visible_to(client.get("/").wsgi_request.user).exists()


def test_an_approved_synthetic_image_is_visible_to_all(client, finished_job):
    SyntheticImage.objects.update(status=SyntheticImage.Status.APPROVED)
    synthetic = SyntheticImage.objects.get()
    served = client.get(reverse("synthesis-image-file", args=[synthetic.pk, "image"]))
    assert served.status_code == 200 and served["Cache-Control"] == "public, max-age=86400"


def test_an_approved_image_of_a_withdrawn_source_is_never_cached(client, moderator, finished_job):
    from repository.services.moderation import image_withdraw

    SyntheticImage.objects.update(status=SyntheticImage.Status.APPROVED)
    synthetic = SyntheticImage.objects.get()
    source = synthetic.source_image
    image_withdraw(image=source, user=source.contributor)
    anonymous = client.get(reverse("synthesis-image-file", args=[synthetic.pk, "image"]))
    assert anonymous.status_code == 404
    client.force_login(moderator)
    for kind in ("image", "thumbnail"):
        served = client.get(reverse("synthesis-image-file", args=[synthetic.pk, kind]))
        assert served.status_code == 200 and served["Cache-Control"] == "private, no-store"
    real = client.get(reverse("image-file", args=[source.pk, "image"]))
    assert real.status_code in (200, 404)
    if real.status_code == 200:
        assert real["Cache-Control"] == "private, no-store"


def test_cancel_remove_and_retry_buttons(client, moderator, public_images):
    client.force_login(moderator)
    job = job_create_tone_transfer(
        user=moderator,
        targets=[{"kind": "fitzpatrick", "fitzpatrick": 5}],
        image_ids=[i.pk for i in public_images],
    )
    first, second = job.items.order_by("pk")
    page = client.get(reverse("synthesis-job-detail", args=[job.pk])).content.decode()
    assert reverse("synthesis-item-remove", args=[job.pk, second.pk]) in page
    client.post(reverse("synthesis-item-remove", args=[job.pk, second.pk]))
    second.refresh_from_db()
    assert second.status == JobItem.Status.REMOVED
    response = client.post(reverse("synthesis-job-cancel", args=[job.pk]), follow=True)
    assert "was cancelled" in response.content.decode()
    response = client.post(reverse("synthesis-job-cancel", args=[job.pk]), follow=True)
    assert "already finished" in response.content.decode()
    # A cancelled item is queued again by Retry (the removed one stays removed).
    response = client.post(reverse("synthesis-job-retry", args=[job.pk]), follow=True)
    assert "1 items are queued again" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == JobItem.Status.QUEUED and second.status == JobItem.Status.REMOVED


def test_a_moderator_adds_a_template_by_upload_and_by_crop(client, moderator, public_images):
    client.force_login(moderator)
    upload = SimpleUploadedFile("patch.png", png_bytes(demo_patch()), content_type="image/png")
    response = client.post(
        reverse("synthesis-template-create"), {"name": "Up", "fitzpatrick": "2", "patch": upload}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("synthesis-template-create"),
        {
            "name": "Cut",
            "fitzpatrick": "2",
            "image": public_images[0].pk,
            "left": 10,
            "top": 10,
            "width": 64,
            "height": 64,
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("synthesis-templates")).content.decode()
    template = StyleTemplate.objects.get(name="Cut")
    assert reverse("synthesis-template-patch", args=[template.pk]) in page
    assert client.get(reverse("synthesis-template-patch", args=[template.pk])).status_code == 200


def test_a_bad_crop_on_the_template_form_is_an_error(client, moderator, public_images):
    client.force_login(moderator)
    response = client.post(
        reverse("synthesis-template-create"),
        {
            "name": "Lesion",
            "fitzpatrick": "5",
            "image": public_images[0].pk,
            "left": 250,
            "top": 175,
            "width": 100,
            "height": 100,
        },
    )
    assert (
        response.status_code == 400 and "cut a patch of healthy skin" in response.content.decode()
    )
    assert not StyleTemplate.objects.exists()


def test_a_crop_from_an_image_that_is_not_there_is_a_form_error(client, moderator, db):
    client.force_login(moderator)
    box = {"left": 0, "top": 0, "width": 64, "height": 64}
    data = {"name": "Gone", "fitzpatrick": "5", "image": 999999, **box}
    response = client.post(reverse("synthesis-template-create"), data)
    assert response.status_code == 400 and "There is no image #999999" in response.content.decode()
    assert not StyleTemplate.objects.exists()


def test_switching_or_deciding_a_template_that_is_not_there_is_a_404(
    client, moderator, default_templates
):
    client.force_login(moderator)
    proposed = default_templates[0]
    StyleTemplate.objects.filter(pk=proposed.pk).update(status=StyleTemplate.Status.PROPOSED)
    # Only an accepted template can be switched on or off; any template can be decided.
    assert client.post(reverse("synthesis-template-toggle", args=[proposed.pk])).status_code == 404
    assert client.post(reverse("synthesis-template-toggle", args=[999999])).status_code == 404
    assert client.post(reverse("synthesis-template-decide", args=[999999])).status_code == 404


def test_reviewers_see_templates_but_cannot_add_them(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("synthesis-templates")).status_code == 200
    assert client.get(reverse("synthesis-template-create")).status_code == 403


def test_job_form_counts_images_before_it_is_queued(client, moderator, public_images):
    client.force_login(moderator)
    url = reverse("synthesis-job-create")
    page = client.get(url).content.decode()
    assert 'data-show-when="mode=ita"' in page and 'data-show-when="backend=magenta"' in page
    assert "__N__ images × __M__ targets = __K__ outputs" in page
    count_url = reverse("synthesis-job-count")
    assert client.get(count_url).json() == {"images": 2}
    assert client.get(count_url, {"image_ids": str(public_images[0].pk)}).json() == {"images": 1}
    assert client.get(count_url, {"fitzpatrick": "1"}).json() == {"images": 0}
    bad = client.get(count_url, {"image_ids": "12a"})
    assert bad.status_code == 400 and "commas" in bad.json()["error"]
    missing = client.get(count_url, {"image_ids": "999999"})
    assert missing.status_code == 400 and "#999999" in missing.json()["error"]
