"""Sampling from a trained model, and saving/loading bundles (torch.save, weights_only load)."""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from typing import BinaryIO

import numpy as np
import torch

from synthesis.ml.bundles import read_bundle, require_format, write_bundle
from synthesis.ml.device import pick_device

from .conditions import ConditionSpace
from .config import GanConfig
from .data import to_uint8
from .networks import build_generator
from .training import BUNDLE_FORMAT, MODEL_KIND, TRAINING_KIND, TrainedGan, state_digest

MAX_COUNT = 256
WHAT = "PixGen DCGAN bundle"
_BATCH = 64


def generate(
    trained: TrainedGan,
    conditions: Mapping,
    count: int,
    seed: int,
    *,
    max_count: int = MAX_COUNT,
) -> list[np.ndarray]:
    """`count` uint8 H x W x 3 images for one condition; the same (model, seed) gives the same."""
    if isinstance(count, bool) or not isinstance(count, numbers.Integral):
        raise ValueError(f"count must be an int, got {count!r}")
    if not 1 <= count <= max_count:
        raise ValueError(f"count must be between 1 and {max_count}, got {count}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    row = trained.conditions.check_trainable(conditions)
    generator = trained.generator.eval()
    device = next(generator.parameters()).device
    # Noise is drawn on the CPU from its own generator: the same on every device.
    rng = torch.Generator().manual_seed(int(seed))
    z = torch.randn(int(count), trained.config.latent_dim, generator=rng)
    cond = trained.conditions.encode_many([row]).repeat(int(count), 1)
    images: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, int(count), _BATCH):
            batch_z = z[start : start + _BATCH].to(device)
            images += to_uint8(generator(batch_z, cond[start : start + _BATCH].to(device)))
    return images


def save(bundle: dict | TrainedGan, dest: str | os.PathLike | BinaryIO) -> None:
    """Write a training checkpoint or a model bundle (a TrainedGan is saved as its model bundle)."""
    write_bundle(bundle.model_bundle() if isinstance(bundle, TrainedGan) else bundle, dest)


def load(src: str | os.PathLike | BinaryIO | bytes) -> dict:
    """A bundle read with weights_only=True; ValueError when it is unreadable or not ours."""
    return require_format(
        read_bundle(src, what=WHAT),
        what=WHAT,
        kinds=(MODEL_KIND, TRAINING_KIND),
        kind_key="kind",
        version=BUNDLE_FORMAT,
        version_key="format",
    )


def load_trained(
    src: str | os.PathLike | BinaryIO | bytes | dict, *, device: str | torch.device | None = None
) -> TrainedGan:
    """A TrainedGan (EMA weights) from a model bundle or a training checkpoint."""
    bundle = src if isinstance(src, dict) else load(src)
    try:
        config = GanConfig.from_dict(bundle["config"])
        space = ConditionSpace.from_dict(bundle["conditions"])
        key = "generator" if bundle["kind"] == MODEL_KIND else "ema"
        weights = bundle[key]
        if state_digest(weights) != bundle[f"{key}_sha256"]:
            raise ValueError("checkpoint weights do not match their checksum (corrupted)")
        generator = build_generator(config, space.sizes)
        generator.load_state_dict(weights)
        step = int(bundle["step"])
    except (KeyError, TypeError, AttributeError, RuntimeError) as exc:
        raise ValueError(f"checkpoint contents do not fit a DCGAN generator: {exc}") from exc
    return TrainedGan(
        config=config,
        conditions=space,
        generator=generator.to(pick_device(device)).eval().requires_grad_(False),
        step=step,
        history=list(bundle.get("history", [])),
        data_fingerprint=str(bundle.get("data_fingerprint", "")),
        completed=step >= config.steps,
        method=str(bundle.get("method", "dcgan")),
    )
