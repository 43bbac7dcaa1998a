"""The DCGAN shipped with the demo: its files match the model card, installing it is
idempotent and refuses a damaged copy, and it can generate every type for every diagnosis."""

import shutil

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from synthesis.ml.dcgan import generation
from synthesis.models import GanModel
from synthesis.services.demo_gan import (
    DEMO_GAN_DIR,
    DEMO_GAN_VERSION,
    WEIGHTS_NAME,
    demo_gan_card_data,
    demo_gan_install,
    file_sha256,
)
from synthesis.services.gan_generation import gan_conditions_check
from tests.conftest import demo_rows, stored_files

pytestmark = pytest.mark.django_db


def test_the_shipped_weights_match_their_model_card():
    card = demo_gan_card_data()
    weights = DEMO_GAN_DIR / WEIGHTS_NAME
    assert file_sha256(weights) == card["file_sha256"]
    assert weights.stat().st_size < 8 * 1024 * 1024  # "a few MB", committed to the repository
    trained = generation.load_trained(weights.read_bytes(), device="cpu")
    assert trained.weights_digest() == card["weights_sha256"]
    assert trained.step == card["config"]["steps"]
    assert "train_demo_dcgan" in card["command"]
    assert (DEMO_GAN_DIR / "MODEL_CARD.md").read_text().count(card["file_sha256"]) == 1


def test_the_installed_model_generates_every_type_for_every_demo_diagnosis():
    model, created = demo_gan_install()
    assert created and model.is_ready and model.version == DEMO_GAN_VERSION
    diagnoses = sorted({row["dx"] for row in demo_rows()})
    wanted = [{"diagnosis": dx, "fitzpatrick": f} for dx in diagnoses for f in range(1, 7)]
    assert len(gan_conditions_check(model=model, conditions=wanted)) == len(wanted)
    trained = generation.load_trained(DEMO_GAN_DIR / WEIGHTS_NAME, device="cpu")
    images = generation.generate(trained, {"diagnosis": "mel", "fitzpatrick": 5}, 4, seed=3)
    assert [im.shape for im in images] == [(64, 64, 3)] * 4
    assert float(np.std(np.stack(images).astype(float))) > 5  # not a blank or constant image
    assert model.sample_grid and model.loss_plot and model.weights


def test_installing_twice_keeps_one_version():
    first, _ = demo_gan_install()
    second, created = demo_gan_install()
    assert not created and second.pk == first.pk
    assert GanModel.objects.filter(version=DEMO_GAN_VERSION).count() == 1


def test_damaged_weights_are_refused_and_nothing_is_written(tmp_path):
    copy = tmp_path / "dcgan"
    shutil.copytree(DEMO_GAN_DIR, copy)
    data = bytearray((copy / WEIGHTS_NAME).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / WEIGHTS_NAME).write_bytes(bytes(data))
    before = stored_files()
    with pytest.raises(ValidationError, match="checksum"):
        demo_gan_install(gan_dir=copy)
    assert not GanModel.objects.exists() and stored_files() == before
