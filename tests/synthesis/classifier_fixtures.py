"""Shared set-up for the classifier and audit tests: the demo set as a public repository."""

import hashlib

import pytest
import torch
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from repository.services.moderation import image_publish
from synthesis.models import SyntheticImage
from synthesis.services.classifier_training import (
    classifier_train_job_create,
    classifier_train_run,
)
from tests.conftest import demo_bytes, demo_rows, ingest

# The smallest torchvision network the ML supports, at the smallest size it accepts.
TINY = {
    "arch": "mobilenet_v3_small",
    "image_size": 32,
    "epochs": 1,
    "batch_size": 8,
    "test_fraction": 0.5,
    "augment": False,
}


def skin_type(index: int) -> int:
    """Mostly types V-VI, a few III and I: the audit meets both full and thin groups."""
    return (5, 6, 5, 3, 1)[index % 5]


@pytest.fixture(autouse=True)
def _one_thread_and_few_resamples(settings):
    torch.set_num_threads(1)
    settings.PIXGEN_AUDIT_BOOTSTRAP = 50


@pytest.fixture
def repository_images(clinician, moderator):
    """Every demo image, public, with its diagnosis and lesion; two share a lesion."""
    images = []
    for index, row in enumerate(demo_rows()):
        image = ingest(
            clinician,
            row["image_id"],
            diagnosis=row["dx"],
            fitzpatrick=skin_type(index),
            lesion_identifier=row["lesion_id"],
        )
        image_publish(image=image, moderator=moderator)
        images.append(image)
    return images


def approved_synthetic(source, *, created_by, method="tone_transfer", model_version="melanin-1"):
    data = demo_bytes(demo_rows()[5]["image_id"])
    name = default_storage.save("synthetic/test.jpg", ContentFile(data))
    return SyntheticImage.objects.create(
        image=name,
        thumbnail=name,
        sha256=hashlib.sha256(data + str(source.pk).encode()).hexdigest(),
        width=600,
        height=450,
        method=method,
        backend="melanin",
        model_version=model_version,
        source_image=source,
        diagnosis=source.diagnosis,
        fitzpatrick=6,
        target={"kind": "fitzpatrick", "fitzpatrick": 6},
        body_site=source.body_site,
        sex=source.sex,
        licence=source.licence,
        seed=7,
        created_by=created_by,
        status=SyntheticImage.Status.APPROVED,
    )


def train(moderator, task="dx7", *, with_synthetic=False, selection=None, **config):
    job = classifier_train_job_create(
        user=moderator,
        task=task,
        with_synthetic=with_synthetic,
        synthetic_selection=selection,
        config={**TINY, **config},
        enqueue=False,
    )
    return classifier_train_run(job_id=job.pk, device="cpu")
