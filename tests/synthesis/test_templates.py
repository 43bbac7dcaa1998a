"""Style templates: demo defaults, upload, crop from a contributed image, and bad input."""

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from PIL import Image

from synthesis.ml.fitzpatrick import ROMAN
from synthesis.models import StyleTemplate
from synthesis.services.templates import (
    style_template_create_from_crop,
    style_template_create_from_upload,
    style_templates_load_defaults,
)
from tests.conftest import DEMO_DIR, stored_files
from tests.synthesis.conftest import IMAGE_IDS, png_bytes

pytestmark = pytest.mark.django_db


def demo_patch(left=10, top=10, size=64) -> np.ndarray:
    rgb = np.asarray(Image.open(DEMO_DIR / "images" / f"{IMAGE_IDS[0]}.jpg").convert("RGB"))
    return np.ascontiguousarray(rgb[top : top + size, left : left + size])


def test_demo_defaults_cover_every_type_darker_as_the_type_rises(default_templates):
    assert [t.fitzpatrick for t in default_templates] == [1, 2, 3, 4, 5, 6]
    itas = [t.ita_deg for t in default_templates]
    assert itas == sorted(itas, reverse=True)
    for template in default_templates:
        assert f"Fitzpatrick {ROMAN[template.fitzpatrick]} — rendered from ISIC_" in template.name
        assert template.patch and template.lab_stats["lab_mean"]


def test_loading_the_defaults_twice_creates_nothing_new(default_templates, capsys):
    assert style_templates_load_defaults() == []
    call_command("load_style_templates")
    assert "0 created now, 6 in all" in capsys.readouterr().out
    assert StyleTemplate.objects.count() == 6


def test_a_moderator_uploads_a_patch_and_its_tone_is_measured(moderator):
    template = style_template_create_from_upload(
        user=moderator, name="Clinic patch", fitzpatrick=2, data=png_bytes(demo_patch())
    )
    assert template.ita_deg > 20 and (template.width, template.height) == (64, 64)
    assert template.note == "uploaded"


def test_a_file_that_is_not_an_image_is_refused_and_leaves_nothing(moderator):
    before = stored_files()
    with pytest.raises(ValidationError) as exc:
        style_template_create_from_upload(
            user=moderator, name="Bad", fitzpatrick=5, data=b"not an image at all"
        )
    assert "not an image PixGen can read" in str(exc.value)
    assert stored_files() == before and not StyleTemplate.objects.exists()


def test_a_reviewer_cannot_manage_templates(reviewer):
    with pytest.raises(PermissionDenied):
        style_template_create_from_upload(
            user=reviewer, name="x", fitzpatrick=5, data=png_bytes(demo_patch())
        )


def test_a_patch_is_cut_from_healthy_skin_of_a_contributed_image(moderator, public_images):
    image = public_images[0]
    template = style_template_create_from_crop(
        user=moderator, name="Cut", fitzpatrick=2, image=image, box=(10, 10, 64, 64)
    )
    assert template.source_image == image and template.crop_box == [10, 10, 64, 64]


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ((250, 175, 100, 100), "is lesion; cut a patch of healthy skin"),
        ((580, 10, 64, 64), "falls outside the 600×450 image"),
        ((10, 10, 8, 8), "at least 16 pixels a side"),
    ],
)
def test_a_bad_crop_is_refused(moderator, public_images, box, message):
    with pytest.raises(ValidationError) as exc:
        style_template_create_from_crop(
            user=moderator, name="Bad crop", fitzpatrick=4, image=public_images[0], box=box
        )
    assert message in " ".join(exc.value.messages)
    assert not StyleTemplate.objects.exists()


def test_a_duplicate_name_is_refused(moderator):
    data = png_bytes(demo_patch())
    style_template_create_from_upload(user=moderator, name="Same", fitzpatrick=5, data=data)
    before = stored_files()
    with pytest.raises(ValidationError, match="exists already"):
        style_template_create_from_upload(user=moderator, name="Same", fitzpatrick=5, data=data)
    assert stored_files() == before
