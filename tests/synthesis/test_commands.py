"""transfer_tone, segment: every bad input is a CommandError with a message, and no file."""

import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests.conftest import DEMO_DIR
from tests.synthesis.conftest import IMAGE_IDS, png_bytes

pytestmark = pytest.mark.django_db

IMAGE = str(DEMO_DIR / "images" / f"{IMAGE_IDS[0]}.jpg")
MASK = str(DEMO_DIR / "masks" / f"{IMAGE_IDS[0]}.png")


def test_transfer_tone_writes_the_image_and_prints_its_measurements(tmp_path, capsys):
    out = tmp_path / "v.png"
    call_command(
        "transfer_tone", "--image", IMAGE, "--mask", MASK, "--fitzpatrick", "V", "--out", str(out)
    )
    result = json.loads(capsys.readouterr().out)
    assert result["backend"] == "chromophore" and result["target"]["fitzpatrick"] == 5
    assert result["measurements"]["in_band"] is True
    assert Image.open(out).size == (600, 450)


def test_transfer_tone_mixes_two_templates(tmp_path, capsys, default_templates):
    out = tmp_path / "mix.jpg"
    a, b = default_templates[3], default_templates[5]
    call_command(
        "transfer_tone",
        "--image",
        IMAGE,
        "--templates",
        str(a.pk),
        b.name,
        "--alpha",
        "0.25",
        "--backend",
        "lab-stats",
        "--out",
        str(out),
    )
    result = json.loads(capsys.readouterr().out)
    assert result["target"]["alpha"] == 0.25 and out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fitzpatrick", "7"], "outside I–VI"),
        (["--ita", "200"], "within −90 to 90"),
        (["--templates", "1", "2", "--alpha", "1.5"], "--alpha must be within [0, 1]"),
        (["--templates", "nope-a", "nope-b", "--alpha", "0.5"], "nope-a does not exist"),
        (["--fitzpatrick", "5", "--backend", "watercolour"], "Unknown backend 'watercolour'"),
        (["--fitzpatrick", "5", "--backend", "magenta"], "needs a model handle"),
        (
            ["--fitzpatrick", "5", "--backend", "magenta", "--magenta-handle", "/no/model"],
            "not a SavedModel folder",
        ),
        (["--fitzpatrick", "5", "--mask", "SMALL"], "The mask is 60×50 but the image is 600×450"),
        (["--fitzpatrick", "5", "--image", "/no/such.jpg"], "No such file"),
    ],
)
def test_transfer_tone_explains_bad_input(tmp_path, args, message):
    small = tmp_path / "small.png"
    small.write_bytes(png_bytes(np.zeros((50, 60), dtype=np.uint8)))
    out = tmp_path / "out.png"
    args = [str(small) if a == "SMALL" else a for a in args]
    base = [] if "--image" in args else ["--image", IMAGE]
    with pytest.raises(CommandError) as exc:
        call_command("transfer_tone", *base, *args, "--out", str(out))
    assert message in str(exc.value)
    assert not out.exists()


def test_transfer_tone_with_a_magenta_handle_that_does_not_load(tmp_path, default_templates):
    (tmp_path / "saved_model.pb").write_bytes(b"garbage")
    out = tmp_path / "out.png"
    with pytest.raises(CommandError, match="cannot load stylization model|needs TensorFlow"):
        call_command(
            "transfer_tone",
            "--image",
            IMAGE,
            "--fitzpatrick",
            "5",
            "--backend",
            "magenta",
            "--magenta-handle",
            str(tmp_path),
            "--out",
            str(out),
        )
    assert not out.exists()


def test_segment_writes_a_mask_with_the_classical_segmenter(tmp_path, capsys):
    out = tmp_path / "mask.png"
    call_command("segment", "--image", IMAGE, "--out", str(out), "--model", "classical")
    assert "by classical" in capsys.readouterr().out
    mask = np.asarray(Image.open(out)) >= 128
    truth = np.asarray(Image.open(MASK)) >= 128
    from synthesis.ml.metrics import dice

    assert mask.shape == truth.shape and dice(mask, truth) > 0.6


@pytest.mark.parametrize(
    ("model", "message"),
    [("latest", "No trained segmenter yet"), ("unet-9999", "No segmenter version 'unet-9999'")],
)
def test_segment_explains_a_missing_model(tmp_path, model, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "segment", "--image", IMAGE, "--out", str(tmp_path / "m.png"), "--model", model
        )
