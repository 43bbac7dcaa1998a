"""Near-duplicates: fingerprints of real copies, the banded lookup, the contributor's warning,
the moderators' page and the rule that a tone transfer is never a duplicate of its source."""

import hashlib
import io
import random

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageEnhance

from repository import perceptual
from repository.models import Diagnosis, LesionImage, NearDuplicatePair, PerceptualHash
from repository.services.moderation import image_publish
from repository.services.near_duplicates import (
    near_duplicate_search,
    near_duplicates_record,
)
from synthesis.models import SyntheticImage
from tests.conftest import demo_bytes, ingest, metadata
from tests.factories import ClinicianFactory

ORIGINAL = "ISIC_0024306"
OTHER = "ISIC_0024331"


def _image() -> Image.Image:
    return Image.open(io.BytesIO(demo_bytes(ORIGINAL))).convert("RGB")


def _jpeg(image: Image.Image, quality: int = 95) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


COPIES = {
    "resized to half": lambda im: _jpeg(im.resize((im.width // 2, im.height // 2))),
    "JPEG quality 60": lambda im: _jpeg(im, 60),
    "10% crop": lambda im: _jpeg(
        im.crop((0, int(im.height * 0.1), int(im.width * 0.9), im.height))
    ),
    "10% brighter": lambda im: _jpeg(ImageEnhance.Brightness(im).enhance(1.1)),
    "10% darker": lambda im: _jpeg(ImageEnhance.Brightness(im).enhance(0.9)),
    "rotated 4°": lambda im: _jpeg(im.rotate(4, resample=Image.Resampling.BICUBIC)),
}


@pytest.mark.parametrize("name", COPIES)
def test_copies_of_an_image_are_near_duplicates(name):
    original = perceptual.fingerprint(demo_bytes(ORIGINAL))
    copy = perceptual.fingerprint(COPIES[name](_image()))
    assert perceptual.compare(copy, original).is_near_duplicate
    assert perceptual.compare(original, copy).is_near_duplicate


def test_different_lesions_are_not_near_duplicates():
    a = perceptual.fingerprint(demo_bytes(ORIGINAL))
    b = perceptual.fingerprint(demo_bytes(OTHER))
    match = perceptual.compare(a, b)
    assert not match.is_near_duplicate
    assert match.fine > perceptual.FINE_MAX


def test_two_hashes_within_seven_bits_share_a_band_within_its_radius():
    rng = random.Random(5)
    for _ in range(500):
        a = rng.getrandbits(64)
        flips = rng.sample(range(64), 7)
        b = a
        for bit in flips:
            b ^= 1 << bit
        assert any(
            vb in perceptual.band_neighbours(va)
            for va, vb in zip(perceptual.bands(a), perceptual.bands(b), strict=True)
        )


def test_signed_storage_round_trips_every_64_bit_value():
    for value in (0, 1, 2**63 - 1, 2**63, 2**64 - 1):
        assert perceptual.to_unsigned(perceptual.to_signed(value)) == value


@pytest.mark.django_db
def test_lookup_finds_a_copy_through_the_band_index_without_the_far_rows(clinician):
    original = ingest(clinician, ORIGINAL)
    ingest(clinician, OTHER)
    assert PerceptualHash.objects.filter(origin="real", object_id=original.pk).count() == 10
    copy = perceptual.fingerprint(COPIES["10% crop"](_image()))
    found = near_duplicate_search(prints=copy)
    assert [c.key for c in found] == [("real", original.pk)]


@pytest.mark.django_db
def test_uploading_a_copy_records_a_pair_and_warns_with_a_link(client, clinician):
    original = ingest(clinician, ORIGINAL)
    client.force_login(clinician)
    upload = SimpleUploadedFile(
        "copy.jpg", COPIES["JPEG quality 60"](_image()), content_type="image/jpeg"
    )
    response = client.post(
        reverse("upload"),
        {
            "image": upload,
            "diagnosis": Diagnosis.objects.get(code="mel").pk,
            "fitzpatrick": "5",
            "modality": "dermoscopic",
            "diagnosis_confirmation": "histopathology",
            "body_site": "back",
            "licence": "CC-BY-4.0",
            "sex": "female",
            "consent_attested": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    copy = LesionImage.objects.exclude(pk=original.pk).get()
    pair = NearDuplicatePair.objects.get()
    assert (pair.a_uid, pair.b_uid) == (f"real-{original.pk}", f"real-{copy.pk}")
    page = response.content.decode()
    assert f"real-{original.pk}" in page
    assert reverse("image-detail", args=[original.pk]) in page
    assert "Possible near-duplicates" in page


@pytest.mark.django_db
def test_warning_does_not_link_an_image_the_contributor_may_not_open(clinician):
    other = ClinicianFactory()
    theirs = ingest(other, ORIGINAL)  # pending: only its contributor and moderators see it
    from repository.services.ingest import image_ingest
    from repository.services.near_duplicates import near_duplicate_warnings

    mine = image_ingest(
        contributor=clinician,
        fileobj=io.BytesIO(COPIES["resized to half"](_image())),
        metadata=metadata(),
    )
    warnings = near_duplicate_warnings(image=mine, user=clinician)
    assert [(w.uid, w.url) for w in warnings] == [(f"real-{theirs.pk}", "")]


@pytest.mark.django_db
def test_api_upload_answers_with_the_near_duplicates(client, clinician, moderator):
    original = ingest(clinician, ORIGINAL)
    image_publish(image=original, moderator=moderator)
    client.force_login(clinician)
    response = client.post(
        reverse("api-contributions"),
        {
            "image": SimpleUploadedFile(
                "copy.jpg", COPIES["10% darker"](_image()), content_type="image/jpeg"
            ),
            "diagnosis": "mel",
            "fitzpatrick": "V",
            "modality": "dermoscopic",
            "diagnosis_confirmation": "histopathology",
            "body_site": "back",
            "licence": "CC-BY-4.0",
            "consent_attested": "true",
        },
    )
    assert response.status_code == 201, response.content
    [dup] = response.json()["near_duplicates"]
    assert dup["uid"] == f"real-{original.pk}"
    assert dup["url"].endswith(reverse("image-detail", args=[original.pk]))


@pytest.mark.django_db
def test_a_distinct_upload_records_no_pair(clinician):
    ingest(clinician, ORIGINAL)
    ingest(clinician, OTHER)
    assert NearDuplicatePair.objects.count() == 0


def _pair(clinician):
    original = ingest(clinician, ORIGINAL)
    from repository.services.ingest import image_ingest

    copy = image_ingest(
        contributor=clinician,
        fileobj=io.BytesIO(COPIES["10% crop"](_image())),
        metadata=metadata(),
    )
    return original, copy, NearDuplicatePair.objects.get()


@pytest.mark.django_db
def test_moderators_see_both_images_of_a_pair_side_by_side(client, clinician, moderator):
    original, copy, pair = _pair(clinician)
    client.force_login(moderator)
    page = client.get(reverse("near-duplicates")).content.decode()
    assert reverse("image-file", args=[original.pk, "image"]) in page
    assert reverse("image-file", args=[copy.pk, "image"]) in page
    for label in ("Same lesion", "Duplicate", "Different lesions"):
        assert label in page


@pytest.mark.django_db
def test_the_near_duplicate_page_is_for_moderators_only(client, clinician):
    _pair(clinician)
    client.force_login(clinician)
    assert client.get(reverse("near-duplicates")).status_code == 403


@pytest.mark.django_db
def test_marking_a_duplicate_rejects_the_pending_copy_and_records_who(client, clinician, moderator):
    original, copy, pair = _pair(clinician)
    client.force_login(moderator)
    response = client.post(
        reverse("near-duplicate-decide", args=[pair.pk]), {"decision": "duplicate", "note": "crop"}
    )
    assert response.status_code == 302
    pair.refresh_from_db()
    copy.refresh_from_db()
    original.refresh_from_db()
    assert pair.decision == "duplicate" and pair.decided_by == moderator and pair.note == "crop"
    assert copy.status == LesionImage.Status.REJECTED
    assert f"real-{original.pk}" in copy.rejection_reason
    assert original.status == LesionImage.Status.PENDING


@pytest.mark.django_db
def test_marking_the_same_lesion_keeps_both_images(client, clinician, moderator):
    _original, copy, pair = _pair(clinician)
    client.force_login(moderator)
    client.post(reverse("near-duplicate-decide", args=[pair.pk]), {"decision": "same_lesion"})
    copy.refresh_from_db()
    assert copy.status == LesionImage.Status.PENDING
    assert NearDuplicatePair.objects.get().decision == "same_lesion"


@pytest.mark.django_db
def test_an_unknown_decision_is_refused_with_a_message(client, clinician, moderator):
    _o, _c, pair = _pair(clinician)
    client.force_login(moderator)
    response = client.post(
        reverse("near-duplicate-decide", args=[pair.pk]), {"decision": "maybe"}, follow=True
    )
    assert "Choose same lesion, duplicate or different." in response.content.decode()
    pair.refresh_from_db()
    assert pair.decision == ""


@pytest.mark.django_db
def test_a_tone_transfer_is_never_a_near_duplicate_of_its_own_source(clinician, moderator):
    source = ingest(clinician, ORIGINAL)
    image_publish(image=source, moderator=moderator)
    data = _jpeg(ImageEnhance.Brightness(_image()).enhance(0.9))
    name = default_storage.save("synthetic/tone.jpg", ContentFile(data))
    synthetic = SyntheticImage.objects.create(
        image=name,
        thumbnail=name,
        sha256=hashlib.sha256(data).hexdigest(),
        width=600,
        height=450,
        method=SyntheticImage.Method.TONE_TRANSFER,
        source_image=source,
        diagnosis=source.diagnosis,
        fitzpatrick=6,
        licence=source.licence,
        created_by=moderator,
    )
    prints = perceptual.fingerprint(data)
    # It is close to its source, which is why the rule is needed ...
    assert [c.key for c in near_duplicate_search(prints=prints)] == [("real", source.pk)]
    # ... but no pair is recorded: it shares its source's lesion instead.
    pairs = near_duplicates_record(
        origin="synthetic", object_id=synthetic.pk, prints=prints, found="check"
    )
    assert pairs == []
    # A real upload of the same picture is a near-duplicate of both.
    from repository.services.ingest import image_ingest

    upload = image_ingest(
        contributor=clinician, fileobj=io.BytesIO(_jpeg(_image(), 80)), metadata=metadata()
    )
    keys = set(
        NearDuplicatePair.objects.involving("real", upload.pk).values_list("a_origin", "a_id")
    )
    assert keys == {("real", source.pk), ("synthetic", synthetic.pk)}


@pytest.mark.django_db
def test_the_backfill_fingerprints_old_and_synthetic_images_once(clinician, moderator, capsys):
    from django.core.management import call_command

    from tests.repository.test_exports import _synthetic

    source = ingest(clinician, ORIGINAL)
    image_publish(image=source, moderator=moderator)
    PerceptualHash.objects.all().delete()  # as if stored before fingerprints existed
    synthetic = _synthetic(source, status="approved", user=moderator, image_id=ORIGINAL)
    call_command("fingerprint_images")
    assert "real: 1" in capsys.readouterr().out
    assert PerceptualHash.objects.filter(origin="synthetic", object_id=synthetic.pk).count() == 10
    assert PerceptualHash.objects.filter(origin="real", object_id=source.pk).count() == 10
    # The synthetic image is a pixel copy of its source here, and still no pair is recorded.
    assert NearDuplicatePair.objects.count() == 0
    call_command("fingerprint_images")
    assert "real: 0" in capsys.readouterr().out
