"""Training loop of the conditional DCGAN: hinge loss, DiffAugment, EMA generator, resumable.

A checkpoint bundle holds everything a step depends on (weights, optimiser moments, the
spectral-norm vectors, every RNG state, the step, the history), and batches are a pure
function of (seed, step), so a run killed after checkpoint k and restarted from it ends
with the same weights as a run that was never interrupted (bit-for-bit on CPU).
"""

from __future__ import annotations

import copy
import hashlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from synthesis.ml.device import pick_device

from .conditions import FIELDS, OPTIONAL_FIELDS, ConditionSpace
from .config import GanConfig
from .data import GanDataset, ImageRecord, records_fingerprint, to_uint8
from .diffaugment import diff_augment
from .networks import Generator, build_discriminator, build_generator

BUNDLE_FORMAT = 1
TRAINING_KIND = "pixgen.dcgan.training"
MODEL_KIND = "pixgen.dcgan.model"
GRID_COLUMNS = 4
GRID_MAX_ROWS = 8
_GRID_SEED_OFFSET = 7_777
_HISTORY_KEYS = ("loss_d", "loss_g", "d_real", "d_fake")


@dataclass
class TrainedGan:
    """A generator ready for sampling (the EMA weights, in eval mode) and how it was made."""

    config: GanConfig
    conditions: ConditionSpace
    generator: Generator
    step: int
    history: list[dict] = field(default_factory=list)
    data_fingerprint: str = ""
    completed: bool = True
    method: str = "dcgan"

    def weights_digest(self) -> str:
        """sha256 of the sampling weights: identifies a model version's behaviour."""
        return state_digest(self.generator.state_dict())

    def model_bundle(self) -> dict:
        """The inference-only bundle (no discriminator or optimisers) for generation.save."""
        return {
            "kind": MODEL_KIND,
            "format": BUNDLE_FORMAT,
            "method": self.method,
            "config": self.config.as_dict(),
            "conditions": self.conditions.to_dict(),
            "generator": _cpu_clone(self.generator.state_dict()),
            "generator_sha256": self.weights_digest(),
            "step": self.step,
            "history": copy.deepcopy(self.history),
            "data_fingerprint": self.data_fingerprint,
        }


def state_digest(state: dict) -> str:
    """sha256 over a state_dict's names and bytes (catches bit rot that unpickles cleanly)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(state.items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def hinge_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()


def train_gan(
    records: Sequence[ImageRecord],
    config: GanConfig,
    *,
    device: str | torch.device | None = None,
    resume_from: dict | None = None,
    progress: Callable[[dict], None] | None = None,
    checkpoint: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainedGan:
    """Train (or resume from a checkpoint bundle) up to config.steps.

    should_stop() is polled after every step; when it returns True a checkpoint is taken and
    the partly trained model is returned with completed=False.
    """
    device = pick_device(device)
    space = ConditionSpace.from_conditions(r.conditions for r in records)
    fingerprint = records_fingerprint(records)
    dataset = GanDataset(records, space, config.image_size, flips=config.flips)
    g = build_generator(config, space.sizes).to(device)
    d = build_discriminator(config, space.sizes).to(device)
    ema = copy.deepcopy(g).eval().requires_grad_(False)
    opt_g = torch.optim.Adam(g.parameters(), lr=config.lr_g, betas=config.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=config.lr_d, betas=config.betas)
    rng = torch.Generator().manual_seed(config.seed + 2)
    step, history, pending = 0, [], _empty_pending()
    if resume_from is not None:
        _check_resumable(resume_from, config, space, fingerprint)
        g.load_state_dict(resume_from["g"])
        d.load_state_dict(resume_from["d"])
        ema.load_state_dict(resume_from["ema"])
        opt_g.load_state_dict(resume_from["opt_g"])
        opt_d.load_state_dict(resume_from["opt_d"])
        _restore_rng(resume_from["rng"], rng)
        step, history = resume_from["step"], list(resume_from["history"])
        pending = dict(resume_from["pending"])

    def bundle() -> dict:
        return {
            "kind": TRAINING_KIND,
            "format": BUNDLE_FORMAT,
            "config": config.as_dict(),
            "conditions": space.to_dict(),
            "data_fingerprint": fingerprint,
            "step": step,
            "history": copy.deepcopy(history),
            "pending": dict(pending),
            "g": _cpu_clone(g.state_dict()),
            "d": _cpu_clone(d.state_dict()),
            "ema": _cpu_clone(ema.state_dict()),
            "ema_sha256": state_digest(ema.state_dict()),
            "opt_g": _cpu_clone(opt_g.state_dict()),
            "opt_d": _cpu_clone(opt_d.state_dict()),
            "rng": _capture_rng(rng),
        }

    ops, batch = config.diffaug_ops, config.batch_size
    g.train()
    d.train()
    started, started_step, last_saved = time.perf_counter(), step, step
    while step < config.steps:
        real, cond = dataset.batch(dataset.indices(step, batch, config.seed), rng)
        cond = drop_optional(cond, config.optional_dropout, rng)
        z = torch.randn(batch, config.latent_dim, generator=rng)
        real, cond, z = real.to(device), cond.to(device), z.to(device)

        fake = g(z, cond)
        d_real = d(diff_augment(real, ops, rng), cond)
        d_fake = d(diff_augment(fake.detach(), ops, rng), cond)
        loss_d = hinge_d_loss(d_real, d_fake)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        d.requires_grad_(False)
        loss_g = -d(diff_augment(fake, ops, rng), cond).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        d.requires_grad_(True)
        update_ema(ema, g, config.ema_decay, step)
        step += 1

        values = (loss_d, loss_g, d_real.mean(), d_fake.mean())
        for key, value in zip(_HISTORY_KEYS, values, strict=True):
            pending[key] += float(value.detach())
        pending["count"] += 1
        event = {}
        if step % config.log_every == 0 or step == config.steps:
            entry = {"step": step, "epoch": dataset.epoch_of(step, batch)}
            entry.update({k: pending[k] / pending["count"] for k in _HISTORY_KEYS})
            history.append(entry)
            pending = _empty_pending()
            event.update(entry)
        if step % config.sample_every == 0 or step == config.steps:
            event["sample_grid"] = sample_grid(ema, space, config)
        stop = should_stop is not None and should_stop()
        if checkpoint is not None and (step % config.checkpoint_every == 0 or stop):
            checkpoint(bundle())
            last_saved = step
        if progress is not None and event:
            elapsed = time.perf_counter() - started
            event.setdefault("step", step)
            event.setdefault("epoch", dataset.epoch_of(step, batch))
            event.update(steps=config.steps, elapsed_s=elapsed)
            event["images_per_s"] = (step - started_step) * batch / max(elapsed, 1e-9)
            progress(event)
        if stop:
            break
    if checkpoint is not None and last_saved != step:
        checkpoint(bundle())
    return TrainedGan(
        config=config,
        conditions=space,
        generator=ema,
        step=step,
        history=history,
        data_fingerprint=fingerprint,
        completed=step >= config.steps,
    )


def grid_conditions(space: ConditionSpace) -> list[dict]:
    """One row per diagnosis (at most GRID_MAX_ROWS), each at its most common Fitzpatrick type."""
    rows = []
    for dx in space.vocab["diagnosis"][:GRID_MAX_ROWS]:
        fitz = max((n, f) for (pair_dx, f), n in space.pair_counts.items() if pair_dx == dx)[1]
        rows.append({"diagnosis": dx, "fitzpatrick": fitz})
    return rows


@torch.no_grad()
def sample_grid(generator: Generator, space: ConditionSpace, config: GanConfig) -> np.ndarray:
    """uint8 grid: a row per grid condition, a column per fixed seed (same noise down a column)."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    rows = grid_conditions(space)
    rng = torch.Generator().manual_seed(config.seed + _GRID_SEED_OFFSET)
    z = torch.randn(GRID_COLUMNS, config.latent_dim, generator=rng).repeat(len(rows), 1)
    cond = space.encode_many(c for c in rows for _ in range(GRID_COLUMNS))
    images = to_uint8(generator(z.to(device), cond.to(device)))
    generator.train(was_training)
    return tile(images, GRID_COLUMNS)


def tile(images: list[np.ndarray], columns: int, pad: int = 2) -> np.ndarray:
    h, w = images[0].shape[:2]
    rows = -(-len(images) // columns)
    grid = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), 255, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) :][:, :w] = img
    return grid


def _empty_pending() -> dict:
    return {**dict.fromkeys(_HISTORY_KEYS, 0.0), "count": 0}


def drop_optional(cond: torch.Tensor, p: float, rng: torch.Generator) -> torch.Tensor:
    """Train the 'unknown' slot (index 0) of optional fields by hiding known values at rate p."""
    drop = torch.rand(cond.shape[0], len(OPTIONAL_FIELDS), generator=rng) < p
    cond = cond.clone()
    for j, name in enumerate(OPTIONAL_FIELDS):
        i = FIELDS.index(name)
        cond[:, i] = torch.where(drop[:, j], torch.zeros_like(cond[:, i]), cond[:, i])
    return cond


@torch.no_grad()
def update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float, step: int) -> None:
    decay = min(decay, (1 + step) / (10 + step))  # warm-up: early EMA follows the model closely
    for p_ema, p in zip(ema.parameters(), model.parameters(), strict=True):
        p_ema.lerp_(p, 1.0 - decay)
    for b_ema, b in zip(ema.buffers(), model.buffers(), strict=True):
        b_ema.copy_(b)


def _cpu_clone(obj):
    """Deep copy with tensors detached onto the CPU, so later training cannot alter a bundle."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().clone()
    if isinstance(obj, dict):
        return {k: _cpu_clone(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_cpu_clone(v) for v in obj)
    return copy.deepcopy(obj)


def _capture_rng(rng: torch.Generator) -> dict:
    np_state = np.random.get_state(legacy=False)
    version, internal, gauss = random.getstate()
    return {
        "train": rng.get_state(),
        "torch": torch.get_rng_state(),
        "numpy": {
            "bit_generator": np_state["bit_generator"],
            "key": torch.from_numpy(np_state["state"]["key"].astype(np.int64)),
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "python": [version, list(internal), gauss],
    }


def _restore_rng(state: dict, rng: torch.Generator) -> None:
    rng.set_state(state["train"])
    torch.set_rng_state(state["torch"])
    np_state = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": np_state["bit_generator"],
            "state": {"key": np_state["key"].numpy().astype(np.uint32), "pos": np_state["pos"]},
            "has_gauss": np_state["has_gauss"],
            "gauss": np_state["gauss"],
        }
    )
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def _check_resumable(
    bundle: dict, config: GanConfig, space: ConditionSpace, fingerprint: str
) -> None:
    if not isinstance(bundle, dict) or bundle.get("kind") != TRAINING_KIND:
        raise ValueError("resume_from is not a DCGAN training checkpoint")
    if bundle.get("format") != BUNDLE_FORMAT:
        raise ValueError(f"unsupported checkpoint format {bundle.get('format')!r}")
    saved = GanConfig.from_dict(bundle["config"])
    differences = saved.lineage_differences(config)
    if differences:
        raise ValueError(f"config differs from the checkpoint's in {differences}")
    if ConditionSpace.from_dict(bundle["conditions"]) != space:
        raise ValueError("the training records' conditions differ from the checkpoint's")
    if bundle["data_fingerprint"] != fingerprint:
        raise ValueError("the training records differ from the checkpoint's (fingerprint)")
    if bundle["step"] > config.steps:
        raise ValueError(f"checkpoint is at step {bundle['step']}, beyond steps={config.steps}")
