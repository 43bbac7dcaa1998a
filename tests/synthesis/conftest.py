import io

import numpy as np
import pytest
from PIL import Image

from repository.services.analysis import image_mask_replace
from repository.services.moderation import image_publish
from synthesis.models import StyleTemplate
from synthesis.services.templates import style_templates_load_defaults
from tests.conftest import DEMO_DIR, ingest
from tests.factories import ReviewerFactory

# Full-resolution demo images with clear skin around a darker lesion.
IMAGE_IDS = ("ISIC_0024306", "ISIC_0024312", "ISIC_0024331")


def demo_mask_bytes(image_id: str) -> bytes:
    return (DEMO_DIR / "masks" / f"{image_id}.png").read_bytes()


def png_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def publish(contributor, moderator, image_id: str, *, with_mask: bool = True, **metadata):
    """A public demo image; with its expert mask uploaded as a person's mask, or with none."""
    image = ingest(contributor, image_id, **metadata)
    image_publish(image=image, moderator=moderator)
    if with_mask:
        image_mask_replace(image=image, user=moderator, mask_data=demo_mask_bytes(image_id))
    image.refresh_from_db()
    return image


@pytest.fixture
def reviewer(db):
    return ReviewerFactory()


@pytest.fixture
def public_images(clinician, moderator):
    return [publish(clinician, moderator, image_id) for image_id in IMAGE_IDS[:2]]


@pytest.fixture
def default_templates(db) -> list[StyleTemplate]:
    style_templates_load_defaults()
    return list(StyleTemplate.objects.order_by("fitzpatrick"))
