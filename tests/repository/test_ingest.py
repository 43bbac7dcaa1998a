import io

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image

from repository.imaging import decode_rgb
from repository.models import LesionImage
from repository.services.ingest import image_ingest
from tests.conftest import demo_bytes, demo_rows, ingest, metadata, stored_files

pytestmark = pytest.mark.django_db


def _upload(contributor, data: bytes, **overrides):
    return image_ingest(
        contributor=contributor, fileobj=io.BytesIO(data), metadata=metadata(**overrides)
    )


def _assert_nothing_left():
    assert LesionImage.objects.count() == 0
    assert stored_files() == set()


def _jpeg_with_gps_exif() -> bytes:
    source = Image.open(io.BytesIO(demo_bytes()))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = {1: "N", 2: (6.0, 27.0, 0.0), 3: "E", 4: (3.0, 23.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    source.save(out, format="JPEG", exif=exif.tobytes(), comment=b"patient: Jane Doe", quality=95)
    return out.getvalue()


def test_upload_stores_master_thumbnail_and_queues_analysis(
    clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        image = ingest(clinician)
    assert image.status == LesionImage.Status.PENDING
    assert (image.width, image.height) == (600, 450)
    assert len(image.sha256) == 64
    assert stored_files() == {image.image.name, image.thumbnail.name}
    assert len(callbacks) == 1  # the analysis task, queued only after commit


def test_upload_strips_gps_exif_and_applies_orientation(clinician):
    image = _upload(clinician, _jpeg_with_gps_exif())
    stored = Image.open(image.image.open("rb"))
    assert stored.getexif() == {}
    assert "comment" not in stored.info and "exif" not in stored.info
    assert b"Jane Doe" not in image.image.open("rb").read()
    # Orientation 6 means the 600x450 sensor image is shown rotated: stored upright as 450x600.
    assert (image.width, image.height) == (450, 600)


def test_duplicate_pixels_are_refused_with_a_pointer(clinician):
    first = ingest(clinician)
    files_before = stored_files()
    # Same pixels, different metadata wrapping: still a duplicate.
    with pytest.raises(ValidationError) as exc:
        _upload(clinician, decode_to_png(demo_bytes()))
    assert f"#{first.pk}" in str(exc.value)
    assert LesionImage.objects.count() == 1
    assert stored_files() == files_before


def decode_to_png(data: bytes) -> bytes:
    out = io.BytesIO()
    Image.fromarray(decode_rgb(data)).save(out, format="PNG")
    return out.getvalue()


def test_png_and_webp_are_accepted(clinician):
    rows = demo_rows()
    for fmt, image_id in (("PNG", rows[1]["image_id"]), ("WEBP", rows[2]["image_id"])):
        rgb = decode_rgb(demo_bytes(image_id))
        out = io.BytesIO()
        Image.fromarray(rgb).save(out, format=fmt, lossless=True)
        image = _upload(clinician, out.getvalue())
        assert image.file_format == "PNG"
        assert np.array_equal(decode_rgb(image.image.open("rb").read()), rgb)


@pytest.mark.parametrize(
    ("make_bytes", "message"),
    [
        (lambda: b"this is not an image at all", "not an image"),
        (lambda: demo_bytes()[:5000], "could not be decoded"),
        (lambda: b"", "empty"),
        (
            lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
            "not an image",
        ),
    ],
    ids=["text", "truncated-jpeg", "empty", "svg"],
)
def test_bad_files_are_refused_and_leave_nothing(clinician, make_bytes, message):
    with pytest.raises(ValidationError) as exc:
        _upload(clinician, make_bytes())
    assert message in str(exc.value)
    _assert_nothing_left()


@pytest.mark.parametrize("fmt", ["GIF", "TIFF", "BMP"])
def test_other_formats_are_refused(clinician, fmt):
    out = io.BytesIO()
    Image.open(io.BytesIO(demo_bytes())).save(out, format=fmt)
    with pytest.raises(ValidationError) as exc:
        _upload(clinician, out.getvalue())
    assert "JPEG, PNG or WebP" in str(exc.value)
    _assert_nothing_left()


def test_decompression_bomb_is_refused(clinician, settings):
    settings.PIXGEN_MAX_IMAGE_PIXELS = 1_000_000
    out = io.BytesIO()
    Image.new("L", (4000, 4000)).save(out, format="PNG")  # 16 MP of zeros compresses to a few KB
    assert len(out.getvalue()) < 100_000
    with pytest.raises(ValidationError) as exc:
        _upload(clinician, out.getvalue())
    assert "pixels" in str(exc.value)
    _assert_nothing_left()


def test_oversized_file_is_refused(clinician, settings):
    settings.PIXGEN_MAX_UPLOAD_BYTES = 50_000
    with pytest.raises(ValidationError) as exc:
        _upload(clinician, demo_bytes())
    assert "limit is" in str(exc.value)
    _assert_nothing_left()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"consent_attested": False}, "consent_attested"),
        ({"fitzpatrick": 7}, "fitzpatrick"),
        ({"fitzpatrick": "VII"}, "fitzpatrick"),
        ({"fitzpatrick": 0}, "fitzpatrick"),
        ({"diagnosis": "eczema-unknown"}, "diagnosis"),
        ({"body_site": "elbow-ish"}, "body_site"),
        ({"monk_tone": 11}, "monk_tone"),
        ({"age_bin": 42}, "age_bin"),
    ],
)
def test_bad_metadata_is_refused_per_field(clinician, override, field):
    with pytest.raises(ValidationError) as exc:
        ingest(clinician, **override)
    assert field in exc.value.message_dict
    _assert_nothing_left()


def test_roman_fitzpatrick_is_accepted(clinician):
    assert ingest(clinician, fitzpatrick="vi").fitzpatrick == 6


def test_unverified_user_cannot_upload(plain_user):
    with pytest.raises(PermissionDenied):
        ingest(plain_user)
    _assert_nothing_left()


def test_database_failure_leaves_no_file(clinician, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(LesionImage.objects, "create", explode)
    with pytest.raises(RuntimeError):
        ingest(clinician)
    _assert_nothing_left()


@pytest.mark.parametrize(("field", "value"), [("monk_tone", "dark"), ("age_bin", "forty")])
def test_non_numeric_metadata_is_a_field_error(clinician, field, value):
    with pytest.raises(ValidationError) as exc:
        ingest(clinician, **{field: value})
    assert field in exc.value.message_dict
    _assert_nothing_left()
