"""`segment`: the shipped model by default, clear errors, the clinical path, bad weights."""

import shutil

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from synthesis.ml import shipped_segmenter
from synthesis.ml.metrics import dice
from synthesis.ml.shipped_segmenter import SHIPPED_VERSION
from tests.conftest import DEMO_DIR

pytestmark = pytest.mark.django_db
IMAGE = DEMO_DIR / "images" / "ISIC_0024306.jpg"
TRUTH = DEMO_DIR / "masks" / "ISIC_0024306.png"


def _segment(tmp_path, *args):
    out = tmp_path / "mask.png"
    call_command("segment", "--image", str(IMAGE), "--out", str(out), *args)
    return out


def test_the_shipped_model_segments_by_default_on_a_fresh_clone(tmp_path, capsys):
    out = _segment(tmp_path)
    assert f"by {SHIPPED_VERSION} (check: {SHIPPED_VERSION}: passed)" in capsys.readouterr().out
    mask = np.asarray(Image.open(out)) > 127
    truth = np.asarray(Image.open(TRUTH).convert("L")) > 127
    assert dice(mask, truth) > 0.85


def test_the_classical_segmenter_can_be_asked_for(tmp_path, capsys):
    _segment(tmp_path, "--model", "classical")
    assert "by classical (check: classical: passed)" in capsys.readouterr().out


def test_a_clinical_photograph_takes_the_clinical_path(tmp_path, capsys):
    _segment(tmp_path, "--modality", "clinical")
    assert "by classical-clinical" in capsys.readouterr().out
    with pytest.raises(CommandError, match="is a dermoscopy segmenter"):
        _segment(tmp_path, "--modality", "clinical", "--model", "shipped")


def test_an_unknown_version_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No segmenter version 'unet-0099'; known: default"):
        _segment(tmp_path, "--model", "unet-0099")


def test_a_corrupt_or_tiny_image_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(IMAGE.read_bytes()[:500])
    with pytest.raises(CommandError, match="not an image PixGen can read"):
        call_command("segment", "--image", str(bad), "--out", str(tmp_path / "m.png"))
    tiny = tmp_path / "tiny.png"
    Image.open(IMAGE).resize((20, 15)).save(tiny)
    with pytest.raises(CommandError, match="too small to segment"):
        call_command("segment", "--image", str(tiny), "--out", str(tmp_path / "m.png"))
    assert not (tmp_path / "m.png").exists()


def test_weights_that_do_not_match_their_checksum_are_refused_and_fall_back(
    tmp_path, capsys, monkeypatch
):
    damaged = tmp_path / "weights.pt"
    shutil.copy(shipped_segmenter.SHIPPED_FILE, damaged)
    data = bytearray(damaged.read_bytes())
    data[-100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(shipped_segmenter, "SHIPPED_FILE", damaged)
    with pytest.raises(CommandError, match="do not match their checksum"):
        _segment(tmp_path, "--model", "shipped")
    _segment(tmp_path)  # the default falls back to the classical segmenter, and says why
    printed = capsys.readouterr().out
    assert "by classical" in printed and "do not match their checksum" in printed
