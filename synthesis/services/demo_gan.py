"""The small conditional DCGAN shipped with the demo: how it was trained, and installing it.

It learns from the 35 demo images and from skin-tone transfers of each of them to the other
five Fitzpatrick types (melanin backend), so that every (diagnosis, type) pair has training
images and generation to any type works on a fresh clone without a training run. The
transfers used here are not reviewed: the model card says so, and everything it generates
waits for dermatologists' review like any other synthetic image."""

import hashlib
import io
import json
from pathlib import Path

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from repository.services.demo import DEMO_DIR, demo_rows
from repository.vocabulary import HAM_LOCALIZATION, age_to_bin
from synthesis.ml.fitzpatrick import TYPES
from synthesis.models import GanModel

DEMO_GAN_DIR = DEMO_DIR / "dcgan"
DEMO_GAN_VERSION = "demo-dcgan-1"
WEIGHTS_NAME = "model.pt"
CARD_DATA_NAME = "model.json"
# Small enough to train on a share of two busy CPU cores, and about a megabyte of weights: a
# demonstration that generation works, not a model to judge the method by.
DEMO_GAN_CONFIG = {
    "image_size": 64,
    "g_width": 16,
    "d_width": 16,
    "batch_size": 16,
    "steps": 500,
    "sample_every": 250,
    "checkpoint_every": 100_000,
    "log_every": 10,
    "seed": 0,
}
DEMO_GAN_EVALUATION = {"baseline_steps": 100, "encoder_steps": 100, "per_condition": 4}


def _conditions(row: dict, fitzpatrick: int) -> dict:
    """The conditions the repository would store for this row (same vocabulary as gan_data)."""
    site = HAM_LOCALIZATION.get(row["localization"].lower(), row["localization"])
    age = row.get("age", "")
    return {
        "diagnosis": row["dx"],
        "fitzpatrick": fitzpatrick,
        "age": age_to_bin(float(age)) if age not in ("", "nan") else None,
        "sex": row["sex"] if row["sex"] in ("female", "male") else None,
        "body_site": site if site != "unknown" else None,
    }


def _scaled(demo_dir: Path, image_id: str, short_side: int) -> tuple[np.ndarray, np.ndarray]:
    """Image and mask with the short side at twice the training size (as gan_data reads
    repository images), so the transfers cost a fraction of full resolution."""
    image = Image.open(demo_dir / "images" / f"{image_id}.jpg").convert("RGB")
    mask = Image.open(demo_dir / "masks" / f"{image_id}.png").convert("L")
    scale = short_side / min(image.size)
    if scale < 1:
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.LANCZOS)
        mask = mask.resize(size, Image.Resampling.NEAREST)
    return np.asarray(image), np.asarray(mask) > 127


def demo_gan_records(demo_dir: Path = DEMO_DIR, *, image_size: int = 64, seed: int = 0) -> list:
    """Each demo image at its own type, and its tone transfer to every other type."""
    from synthesis.ml.dcgan.data import ImageRecord
    from synthesis.ml.tone_transfer import ToneTarget, transfer

    records = []
    for row in demo_rows(demo_dir):
        rgb, mask = _scaled(demo_dir, row["image_id"], 2 * image_size)
        own = int(row["fitzpatrick"])
        records.append(ImageRecord(rgb, _conditions(row, own)))
        for target in TYPES:
            if target != own:
                # melanin: the backend the shipped weights were made with, whatever the default.
                result = transfer(
                    rgb, mask, ToneTarget.for_fitzpatrick(target), backend="melanin", seed=seed
                )
                records.append(ImageRecord(result.image, _conditions(row, target)))
    return records


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def demo_gan_card_data(gan_dir: Path = DEMO_GAN_DIR) -> dict:
    try:
        return json.loads((gan_dir / CARD_DATA_NAME).read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(
            _("The demo DCGAN's model card data cannot be read: %s") % exc
        ) from None


def demo_gan_install(*, gan_dir: Path = DEMO_GAN_DIR) -> tuple[GanModel, bool]:
    """Register the shipped weights as a ready model version (idempotent): (model, created).

    The file must match the checksum its model card records; a damaged copy is refused."""
    existing = GanModel.objects.filter(version=DEMO_GAN_VERSION).first()
    if existing is not None:
        return existing, False
    from synthesis.ml.dcgan import generation
    from synthesis.ml.dcgan.plots import plot_losses
    from synthesis.ml.dcgan.training import sample_grid

    card = demo_gan_card_data(gan_dir)
    weights_path = gan_dir / WEIGHTS_NAME
    if not weights_path.is_file() or file_sha256(weights_path) != card.get("file_sha256"):
        raise ValidationError(
            _("The demo DCGAN weights %(path)s are missing or do not match their checksum.")
            % {"path": weights_path}
        )
    data = weights_path.read_bytes()
    trained = generation.load_trained(data, device="cpu")
    grid = io.BytesIO()
    Image.fromarray(sample_grid(trained.generator, trained.conditions, trained.config)).save(
        grid, format="PNG"
    )
    written: list[str] = []
    try:
        prefix = f"gans/{DEMO_GAN_VERSION}"
        written.append(default_storage.save(f"{prefix}/model.pt", ContentFile(data)))
        written.append(
            default_storage.save(
                f"{prefix}/losses.png",
                ContentFile(plot_losses(trained.history, title=f"{DEMO_GAN_VERSION} losses")),
            )
        )
        written.append(default_storage.save(f"{prefix}/samples.png", ContentFile(grid.getvalue())))
        with transaction.atomic():
            model = GanModel.objects.create(
                version=DEMO_GAN_VERSION,
                status=GanModel.Status.READY,
                image_size=trained.config.image_size,
                config=trained.config.as_dict(),
                weights_sha256=card["file_sha256"],
                # The page says these transfers were never reviewed (unlike a trained version's).
                data_snapshot={**card["data"], "unreviewed_transfers": True},
                condition_space=trained.conditions.to_dict(),
                weights=written[0],
                loss_plot=written[1],
                sample_grid=written[2],
                history=trained.history,
                metrics={**card.get("metrics", {}), "weights_sha256": trained.weights_digest()},
                step=trained.step,
                wall_seconds=float(card.get("wall_seconds", 0.0)),
                device=card.get("device", "cpu"),
                finished_at=timezone.now(),
            )
    except IntegrityError:  # a concurrent install won
        for name in written:
            default_storage.delete(name)
        return GanModel.objects.get(version=DEMO_GAN_VERSION), False
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return model, True
