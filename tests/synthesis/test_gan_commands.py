"""The train_dcgan and generate commands."""

import io

import pytest
from django.core.management import CommandError, call_command

from synthesis.models import GanModel, SyntheticImage
from tests.synthesis.test_gan import public_images  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
TINY_ARGS = ["--steps", "2", "--batch-size", "4", "--width", "8", "--baseline-steps", "1"]
TINY_ARGS += ["--encoder-steps", "1", "--per-condition", "2", "--device", "cpu"]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_train_then_generate_from_the_command_line(moderator, public_images, tmp_path):  # noqa: F811
    output = run("train_dcgan", "--user", moderator.username, "--size", "64", *TINY_ARGS)
    version = output.strip().splitlines()[-1]
    assert version == "dcgan-0001" and GanModel.objects.get(version=version).is_ready
    args = ["--model", version, "--fitzpatrick", "5", "--diagnosis", "mel", "--count", "2"]
    run("generate", *args, "--seed", "3", "--out", str(tmp_path), "--user", moderator.username)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["dcgan-0001-seed3-0000.png", "dcgan-0001-seed3-0001.png"]
    assert SyntheticImage.objects.pending_review().count() == 2
    with pytest.raises(CommandError, match="no DCGAN model"):
        run(
            "generate",
            "--model",
            "dcgan-0999",
            *args[2:],
            "--out",
            str(tmp_path),
            "--user",
            moderator.username,
        )
    bad = ["--model", version, "--fitzpatrick", "6", "--diagnosis", "mel", "--count", "2"]
    with pytest.raises(CommandError, match="no training images"):
        run("generate", *bad, "--out", str(tmp_path), "--user", moderator.username)
    zero = [*args[:-1], "0"]
    with pytest.raises(CommandError, match="between 1 and"):
        run("generate", *zero, "--out", str(tmp_path), "--user", moderator.username)
    assert SyntheticImage.objects.count() == 2


def test_train_dcgan_refuses_an_empty_database_without_leaving_a_version(moderator):
    with pytest.raises(CommandError, match="usable images"):
        run("train_dcgan", "--user", moderator.username, *TINY_ARGS)
    assert not GanModel.objects.exists()
