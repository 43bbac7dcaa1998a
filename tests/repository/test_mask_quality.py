"""Which segmenter and which check made each mask; "needs a mask"; a person's mask instead."""

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from repository.models import LesionImage
from repository.services.analysis import image_analyse
from synthesis.ml import segmentation_quality
from tests.conftest import DEMO_DIR, demo_rows, ingest, stored_files

pytestmark = pytest.mark.django_db


def _png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def _analysed(clinician, **overrides) -> LesionImage:
    image = ingest(clinician, demo_rows()[0]["image_id"], **overrides)
    image_analyse(image_id=image.pk)
    image.refresh_from_db()
    return image


def test_every_automatic_mask_records_its_segmenter_and_check(clinician):
    image = _analysed(clinician)
    assert image.mask and not image.needs_mask and image.mask_segmenter
    assert image.mask_check["segmenter"] == image.mask_segmenter
    assert image.mask_check["check"] == "passed"
    assert image.mask_check["attempts"][-1] == {
        "segmenter": image.mask_segmenter,
        "outcome": "passed",
    }


def test_an_image_whose_every_mask_fails_the_check_needs_a_mask(clinician, monkeypatch):
    monkeypatch.setattr(segmentation_quality, "quality_check", lambda mask: "touches_border")
    image = _analysed(clinician)
    assert image.needs_mask and not image.mask and image.mask_segmenter == ""
    assert [a["outcome"] for a in image.mask_check["attempts"]] == ["touches_border"] * 2
    # The skin is still measured, without a lesion mask to trust.
    assert image.analysis_status == "done"
    assert image.tone_measurement["skin"]["lesion_source"] == "colour-outliers"
    assert image in LesionImage.objects.filter(needs_mask=True)


def test_a_clinical_photograph_never_gets_the_dermoscopy_model(clinician):
    image = _analysed(clinician, modality="clinical")
    assert image.mask_segmenter == "classical-clinical"
    assert [a["segmenter"] for a in image.mask_check["attempts"]] == ["classical-clinical"]


def test_the_image_page_and_the_api_say_who_made_the_mask(client, clinician, monkeypatch):
    monkeypatch.setattr(segmentation_quality, "quality_check", lambda mask: "empty")
    image = _analysed(clinician)
    client.force_login(clinician)
    page = client.get(f"/images/{image.pk}/").content.decode()
    assert "Needs a mask" in page and "Draw the outline" in page
    api = client.get(f"/api/v1/images/{image.pk}/").json()
    assert api["needs_mask"] is True and api["mask_check"]["check"] == "needs_mask"


def test_a_persons_mask_clears_needs_a_mask(client, clinician, monkeypatch):
    monkeypatch.setattr(segmentation_quality, "quality_check", lambda mask: "empty")
    image = _analysed(clinician)
    monkeypatch.undo()
    client.force_login(clinician)
    data = (DEMO_DIR / "masks" / f"{demo_rows()[0]['image_id']}.png").read_bytes()
    response = client.post(
        f"/images/{image.pk}/mask/upload/", {"mask": SimpleUploadedFile("m.png", data)}
    )
    assert response.status_code == 302
    image.refresh_from_db()
    assert not image.needs_mask and image.mask_source == "manual"
    assert image.mask_check == {"check": "manual", "by": clinician.username}


def test_a_grey_mask_upload_is_a_form_error_and_changes_nothing(client, clinician):
    image = _analysed(clinician)
    before = (image.mask.name, image.mask_source, stored_files())
    client.force_login(clinician)
    grey = np.tile(np.linspace(0, 255, image.width, dtype=np.uint8), (image.height, 1))
    response = client.post(
        f"/images/{image.pk}/mask/upload/", {"mask": SimpleUploadedFile("m.png", _png(grey))}
    )
    assert response.status_code == 400
    assert "not black and white" in " ".join(response.context["mask_form"].errors["mask"])
    image.refresh_from_db()
    assert (image.mask.name, image.mask_source, stored_files()) == before
