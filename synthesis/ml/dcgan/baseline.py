"""Baseline without a discriminator: the same Conv2DTranspose generator trained by L1 regression.

Objective: for each training image x with conditions c, draw noise z and minimise
|G(z, c) - x|_1 (pixels in [-1, 1]; same flips, same optional-field dropout, same Adam
settings and EMA as the GAN). Nothing rewards using z, and the L1 minimiser for a given
condition is the per-pixel median of that condition's images, so the baseline learns a
blurry "typical lesion" per condition with little diversity. It is the reference the
adversarial model is reported against: what the discriminator buys in realism and variety.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from synthesis.ml.device import pick_device

from .conditions import ConditionSpace
from .config import GanConfig
from .data import GanDataset, ImageRecord, records_fingerprint
from .networks import build_generator
from .training import TrainedGan, drop_optional, update_ema

METHOD = "baseline-l1"


def train_baseline(
    records: Sequence[ImageRecord],
    config: GanConfig,
    *,
    device: str | torch.device | None = None,
    steps: int | None = None,
    progress: Callable[[dict], None] | None = None,
) -> TrainedGan:
    """Train the decoder for `steps` (default config.steps) on the GAN's records and conditions."""
    steps = config.steps if steps is None else steps
    if not (isinstance(steps, int) and steps > 0):
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    device = pick_device(device)
    space = ConditionSpace.from_conditions(r.conditions for r in records)
    dataset = GanDataset(records, space, config.image_size, flips=config.flips)
    decoder = build_generator(config, space.sizes).to(device).train()
    ema = copy.deepcopy(decoder).eval().requires_grad_(False)
    optimiser = torch.optim.Adam(decoder.parameters(), lr=config.lr_g, betas=config.betas)
    rng = torch.Generator().manual_seed(config.seed + 3)
    history, running, started = [], 0.0, time.perf_counter()
    for step in range(steps):
        real, cond = dataset.batch(dataset.indices(step, config.batch_size, config.seed), rng)
        cond = drop_optional(cond, config.optional_dropout, rng)
        z = torch.randn(config.batch_size, config.latent_dim, generator=rng)
        real, cond, z = real.to(device), cond.to(device), z.to(device)
        loss = F.l1_loss(decoder(z, cond), real)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        update_ema(ema, decoder, config.ema_decay, step)
        running += float(loss.detach())
        done = step + 1
        if done % config.log_every == 0 or done == steps:
            count = done % config.log_every or config.log_every
            entry = {"step": done, "epoch": dataset.epoch_of(done, config.batch_size)}
            entry["loss_l1"] = running / count
            history.append(entry)
            running = 0.0
            if progress is not None:
                progress({**entry, "steps": steps, "elapsed_s": time.perf_counter() - started})
    return TrainedGan(
        config=config.replace(steps=steps),
        conditions=space,
        generator=ema,
        step=steps,
        history=history,
        data_fingerprint=records_fingerprint(records),
        completed=True,
        method=METHOD,
    )
