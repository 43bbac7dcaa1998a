"""Hostile and unusual uploads: masks, batch CSVs, nested JSON and high-bit-depth images get a
message, never a 500, and leave no half-written row or stray file behind."""

import io
import struct
import zlib

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from repository.imaging import decode_rgb
from repository.models import ImageRequest, LesionImage
from tests.conftest import DEMO_DIR, demo_rows, ingest, stored_files
from tests.repository.test_batch_import import HEADER, _files, _run

pytestmark = pytest.mark.django_db


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, idat: bytes) -> bytes:
    """A PNG whose header and data we choose: greyscale, 8 bits, with checksums that pass."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def demo_mask() -> bytes:
    return (DEMO_DIR / "masks" / f"{demo_rows()[0]['image_id']}.png").read_bytes()


HOSTILE_MASKS = {
    "truncated": lambda: demo_mask()[: len(demo_mask()) // 2],
    "20000x20000": lambda: png(20000, 20000, zlib.compress(b"\x00" * 20001 * 4)),
    "corrupt stream": lambda: png(600, 450, b"this is not a zlib stream" * 40),
    "short stream": lambda: png(600, 450, zlib.compress(b"\x00" * 601 * 10)),
    "not an image": lambda: b"GIF89a but not really",
    "30 MB": lambda: demo_mask() + b"\x00" * (30 * 1024 * 1024),
}


@pytest.mark.parametrize("kind", HOSTILE_MASKS)
def test_a_hostile_mask_is_a_form_error_and_changes_nothing(client, clinician, kind):
    image = ingest(clinician)
    before_files = stored_files()
    client.force_login(clinician)
    response = client.post(
        f"/images/{image.pk}/mask/upload/",
        {"mask": SimpleUploadedFile("mask.png", HOSTILE_MASKS[kind](), content_type="image/png")},
    )
    assert response.status_code == 400
    form = response.context["mask_form"]
    assert form.errors["mask"], form.errors
    image.refresh_from_db()
    assert image.mask_source != "manual"
    assert stored_files() == before_files


def test_the_mask_cap_names_the_limit(client, clinician, settings):
    settings.PIXGEN_MAX_UPLOAD_BYTES = 1024 * 1024
    image = ingest(clinician)
    client.force_login(clinician)
    big = demo_mask() + b"\x00" * (3 * 1024 * 1024)
    response = client.post(
        f"/images/{image.pk}/mask/upload/", {"mask": SimpleUploadedFile("mask.png", big)}
    )
    assert response.status_code == 400
    assert "limit is 1.0\xa0MB" in " ".join(response.context["mask_form"].errors["mask"])


def test_a_good_mask_still_replaces_the_old_one(client, clinician):
    image = ingest(clinician)
    client.force_login(clinician)
    response = client.post(
        f"/images/{image.pk}/mask/upload/", {"mask": SimpleUploadedFile("mask.png", demo_mask())}
    )
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.mask_source == "manual"


def _batch_text(image_id: str, **fields) -> str:
    values = {
        "lesion_id": "HAM_X",
        "image_id": image_id,
        "dx": "mel",
        "dx_type": "histo",
        "age": "50",
        "sex": "male",
        "localization": "back",
        "fitzpatrick": "5",
    } | fields
    header = ",".join(values) + "\n"
    return header + ",".join(f'"{v}"' for v in values.values()) + "\n"


def test_a_nul_in_a_batch_csv_refuses_the_csv_and_writes_nothing(clinician):
    image_id = demo_rows()[0]["image_id"]
    with pytest.raises(ValidationError, match="NUL"):
        _run(clinician, _batch_text(image_id, lesion_id="HAM\x00X"), _files(image_id))
    assert not LesionImage.objects.exists() and not stored_files()


def test_a_batch_csv_field_over_the_csv_limit_is_refused_with_a_message(clinician):
    image_id = demo_rows()[0]["image_id"]
    with pytest.raises(ValidationError, match="too long"):
        _run(clinician, _batch_text(image_id, lesion_id="x" * 140_000), _files(image_id))
    assert not LesionImage.objects.exists()


@pytest.mark.parametrize("value", ["abc", "1.5", "-3", "99999999999999999999999"])
def test_a_batch_row_naming_an_impossible_request_is_a_row_error(clinician, value):
    first, second = demo_rows()[0]["image_id"], demo_rows()[1]["image_id"]
    csv_text = HEADER.rstrip("\n") + ",request\n"
    csv_text += f"HAM_A,{first},mel,histo,50,male,back,5,{value}\n"
    csv_text += f"HAM_B,{second},mel,histo,50,male,back,5,\n"
    report = _run(clinician, csv_text, _files(first, second))
    assert [r.ok for r in report.rows] == [False, True]
    assert any("request" in e for e in report.rows[0].errors)
    assert LesionImage.objects.count() == 1


def test_the_batch_page_shows_csv_errors_on_the_page(client, clinician):
    image_id = demo_rows()[0]["image_id"]
    client.force_login(clinician)
    response = client.post(
        "/contribute/batch/",
        {
            "csv": SimpleUploadedFile(
                "meta.csv", _batch_text(image_id, lesion_id="HAM\x00X").encode()
            ),
            "images": [
                SimpleUploadedFile(f"{image_id}.jpg", _files(image_id)[f"{image_id}.jpg"].read())
            ],
            "modality": "dermoscopic",
            "licence": "CC-BY-4.0",
            "diagnosis_confirmation": "clinical",
            "consent_attested": "on",
        },
    )
    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert not LesionImage.objects.exists()


def test_an_image_request_id_that_is_not_a_number_is_a_field_error_on_the_api(clinician):
    api = APIClient()
    api.force_authenticate(clinician)
    response = api.post(
        "/api/v1/contributions/",
        {
            "image": SimpleUploadedFile(
                "a.jpg", _files(demo_rows()[0]["image_id"]).popitem()[1].read()
            ),
            "diagnosis": "mel",
            "fitzpatrick": "5",
            "modality": "dermoscopic",
            "diagnosis_confirmation": "histopathology",
            "body_site": "back",
            "licence": "CC-BY-4.0",
            "consent_attested": "true",
            "request": "abc",
        },
        format="multipart",
    )
    assert response.status_code == 400 and "request" in response.json()
    assert not ImageRequest.objects.exists() and not LesionImage.objects.exists()


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_json_is_a_400(clinician, depth):
    api = APIClient()
    api.force_authenticate(clinician)
    body = "[" * depth + "]" * depth
    response = api.post("/api/v1/requests/", body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert not ImageRequest.objects.exists()


def _png16(values: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(values.astype(np.uint16)).save(out, format="PNG")
    return out.getvalue()


def test_a_16_bit_greyscale_png_keeps_its_tones(clinician):
    rows, cols = np.mgrid[0:450, 0:600]
    values = (rows * 600 + cols) * 65535 // (450 * 600 - 1)  # a ramp over the whole range
    data = _png16(values)
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    image = ingest_bytes(clinician, data)
    with default_storage.open(image.image.name, "rb") as fh:
        stored = decode_rgb(fh.read()).astype(float)
    assert abs(stored.mean() - values.mean() / 257) < 1.0  # not 254.5: pure white
    assert stored.min() == 0 and stored.max() == 255
    assert np.allclose(stored[..., 0], np.round(values / 257), atol=1)


def ingest_bytes(contributor, data: bytes):
    from repository.services.ingest import image_ingest
    from tests.conftest import metadata

    return image_ingest(contributor=contributor, fileobj=io.BytesIO(data), metadata=metadata())


def test_an_oversized_upload_is_told_its_real_size(client, clinician, settings):
    settings.PIXGEN_MAX_UPLOAD_BYTES = 1024 * 1024
    client.force_login(clinician)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\x00" * int(3.5 * 1024 * 1024))
    from tests.repository.test_pages import _form

    response = client.post("/contribute/", _form(image=big))
    assert response.status_code == 400
    assert "The file is 3.5\xa0MB; the limit is 1.0\xa0MB." in response.content.decode()
    assert not LesionImage.objects.exists() and not stored_files()


def _multipart_api(clinician):
    api = APIClient()
    api.force_authenticate(clinician)
    return api


def test_too_many_fields_on_the_api_is_json(clinician, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    fields = {f"field{i}": "x" for i in range(80)}
    response = _multipart_api(clinician).post("/api/v1/contributions/", fields, format="multipart")
    assert response.status_code == 400
    assert "Too many fields" in response.json()["detail"]


def test_too_many_files_on_the_api_is_json(clinician, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = {f"image{i}": SimpleUploadedFile(f"{i}.jpg", b"x") for i in range(5)}
    response = _multipart_api(clinician).post("/api/v1/contributions/", files, format="multipart")
    assert response.status_code == 400
    assert "Too many files" in response.json()["detail"]


def test_an_over_long_file_name_on_the_api_is_json(clinician):
    upload = io.BytesIO(b"\xff\xd8\xff")
    upload.name = "a" * 20_000 + ".jpg"  # an UploadedFile would cut it to 255 characters
    response = _multipart_api(clinician).post(
        "/api/v1/contributions/", {"image": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "file name" in response.json()["detail"]


def test_too_many_fields_on_a_page_is_the_sites_400_page(client, clinician, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    client.force_login(clinician)
    response = client.post("/contribute/", {f"field{i}": "x" for i in range(80)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Too many fields" in page and 'class="brand"' in page
