"""The pages people use: each renders, and bad input is a 4xx or a form error, never a 500."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from repository.models import Diagnosis, LesionImage
from repository.services.moderation import image_publish
from tests.conftest import demo_bytes, demo_rows, ingest, stored_files

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "diagnosis": Diagnosis.objects.get(code="bcc").pk,
        "diagnosis_confirmation": "histopathology",
        "fitzpatrick": 5,
        "modality": "clinical",
        "body_site": "face",
        "sex": "male",
        "licence": "CC-BY-4.0",
        "consent_attested": "on",
        "image": SimpleUploadedFile("lesion.jpg", demo_bytes(), content_type="image/jpeg"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/coverage/",
        "/images/",
        "/requests/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password_reset/",
    ],
)
def test_public_pages_render(client, url):
    assert client.get(url).status_code == 200


def test_signup_then_apply_for_verification(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "adaeze",
            "email": "adaeze@example.org",
            "password1": "a-long-passphrase-77",
            "password2": "a-long-passphrase-77",
        },
    )
    assert response.status_code == 302
    response = client.post(
        "/account/verification/",
        {
            "licence_number": "X1",
            "issuing_authority": "MDCN",
            "country": "Nigeria",
            "institution": "LUTH",
            "specialty": "Dermatology",
        },
    )
    assert response.status_code == 302
    assert "Pending" in client.get("/account/").content.decode()


def test_clinician_uploads_through_the_form(client, clinician):
    client.force_login(clinician)
    response = client.post(reverse("upload"), _form())
    assert response.status_code == 302
    image = LesionImage.objects.get()
    assert response["Location"] == reverse("image-detail", args=[image.pk])
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"consent_attested": None}, "This field is required"),
        ({"fitzpatrick": 7}, "Select a valid choice"),
        (
            {
                "image": SimpleUploadedFile(
                    "x.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", content_type="image/gif"
                )
            },
            "not",
        ),
        (
            {"image": SimpleUploadedFile("x.jpg", b"hello", content_type="image/jpeg")},
            "not an image",
        ),
    ],
    ids=["no-consent", "fitzpatrick-7", "gif", "not-an-image"],
)
def test_bad_uploads_are_form_errors(client, clinician, overrides, message):
    client.force_login(clinician)
    response = client.post(reverse("upload"), _form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert LesionImage.objects.count() == 0 and stored_files() == set()


def test_duplicate_upload_points_to_the_existing_image(client, clinician):
    existing = ingest(clinician)
    client.force_login(clinician)
    response = client.post(reverse("upload"), _form())
    assert response.status_code == 400
    assert f"/images/{existing.pk}/" in response.content.decode()


def test_unverified_user_gets_403_on_upload(client, plain_user):
    client.force_login(plain_user)
    assert client.get(reverse("upload")).status_code == 403
    assert client.post(reverse("upload"), _form()).status_code == 403
    assert LesionImage.objects.count() == 0


def test_batch_upload_reports_row_by_row(client, clinician):
    rows = demo_rows()[:2]
    csv_text = (
        "lesion_id,image_id,dx,dx_type,age,sex,localization,fitzpatrick\n"
        + "".join(
            f"{r['lesion_id']},{r['image_id']},{r['dx']},{r['dx_type']},{r['age']},{r['sex']},{r['localization']},5\n"
            for r in rows
        )
        + "HAM_0,ISIC_0000000,mel,histo,40,male,back,5\n"
    )
    client.force_login(clinician)
    response = client.post(
        reverse("upload-batch"),
        {
            "csv": SimpleUploadedFile("meta.csv", csv_text.encode(), content_type="text/csv"),
            "images": [
                SimpleUploadedFile(f"{r['image_id']}.jpg", demo_bytes(r["image_id"])) for r in rows
            ],
            "modality": "dermoscopic",
            "licence": "CC-BY-NC-4.0",
            "diagnosis_confirmation": "clinical",
            "consent_attested": "on",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 imported, 1 not imported" in body
    assert "No file named ISIC_0000000" in body


def test_pending_image_and_its_files_are_hidden_from_others(
    client, clinician, researcher, moderator
):
    image = ingest(clinician)
    urls = [f"/images/{image.pk}/", f"/images/{image.pk}/image/", f"/images/{image.pk}/thumbnail/"]
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(researcher)
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(clinician)
    for url in urls:
        assert client.get(url).status_code == 200
    client.force_login(moderator)
    assert client.get(urls[1]).status_code == 200
    image_publish(image=image, moderator=moderator)
    client.logout()
    response = client.get(urls[1])
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == image.image.open("rb").read()


def test_moderation_queue_is_for_moderators_only(client, clinician, moderator):
    image = ingest(clinician)
    client.force_login(clinician)
    assert client.get("/moderation/").status_code == 403
    assert client.post(f"/moderation/images/{image.pk}/", {"action": "publish"}).status_code == 403
    client.force_login(moderator)
    assert f"#{image.pk}" in client.get("/moderation/").content.decode()
    client.post(f"/moderation/images/{image.pk}/", {"action": "publish"})
    image.refresh_from_db()
    assert image.status == "public"


def test_reject_without_reason_is_refused_with_a_message(client, clinician, moderator):
    image = ingest(clinician)
    client.force_login(moderator)
    response = client.post(
        f"/moderation/images/{image.pk}/", {"action": "reject", "reason": ""}, follow=True
    )
    assert "reason" in response.content.decode()
    image.refresh_from_db()
    assert image.status == "pending"


def test_image_list_filters(client, clinician, moderator):
    rows = demo_rows()
    a = ingest(clinician, rows[0]["image_id"], diagnosis="mel", fitzpatrick=6)
    b = ingest(clinician, rows[1]["image_id"], diagnosis="nv", fitzpatrick=4)
    for image in (a, b):
        image_publish(image=image, moderator=moderator)
    body = client.get("/images/?diagnosis=mel&fitzpatrick=6").content.decode()
    assert f"/images/{a.pk}/" in body and f"/images/{b.pk}/" not in body
    bad = client.get("/images/?fitzpatrick=9")  # an invalid filter is a 400 that says why
    assert bad.status_code == 400 and "Fitzpatrick type must be I–VI" in bad.content.decode()


def test_request_form_errors_are_shown(client, clinician):
    client.force_login(clinician)
    response = client.post(
        "/requests/new/",
        {
            "diagnosis": Diagnosis.objects.get(code="mel").pk,
            "fitzpatrick_min": 6,
            "fitzpatrick_max": 4,
            "modality": "clinical",
            "quantity": 5,
            "reason": "x",
        },
    )
    assert response.status_code == 400
    assert "min ≤ max" in response.content.decode()


def test_mask_of_wrong_size_is_refused(client, clinician):
    from PIL import Image

    image = ingest(clinician)
    out = io.BytesIO()
    Image.new("L", (10, 10)).save(out, format="PNG")
    before = (image.mask.name, image.mask_source, stored_files())
    client.force_login(clinician)
    response = client.post(
        f"/images/{image.pk}/mask/upload/", {"mask": SimpleUploadedFile("m.png", out.getvalue())}
    )
    assert response.status_code == 400
    assert "must match" in response.content.decode()
    image.refresh_from_db()
    assert (image.mask.name, image.mask_source, stored_files()) == before


def test_moderators_use_the_django_admin(client, clinician, moderator):
    ingest(clinician)
    client.force_login(moderator)
    assert client.get("/admin/repository/lesionimage/").status_code == 200
    assert client.get("/admin/repository/diagnosis/add/").status_code == 200
    assert client.get("/admin/repository/lesionimage/add/").status_code == 403
    client.force_login(clinician)
    assert client.get("/admin/repository/lesionimage/").status_code == 302  # to the admin login
