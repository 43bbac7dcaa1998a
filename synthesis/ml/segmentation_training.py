"""Training a U-Net lesion segmenter on in-memory (RGB, mask) pairs, and its checkpoints.

Plain PyTorch: a Celery task wraps `train_segmenter` and stores what `save_checkpoint` writes.
"""

import functools
import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

from synthesis.ml.bundles import read_bundle, require_format, write_bundle
from synthesis.ml.device import pick_device
from synthesis.ml.metrics import dice, jaccard
from synthesis.ml.segmentation_config import SegmenterConfig
from synthesis.ml.segmentation_inference import predict_masks
from synthesis.ml.unet import UNet, normalize
from synthesis.ml.unet_lite import LiteUNet

Pair = tuple[np.ndarray, np.ndarray]  # (uint8 HxWx3 RGB, bool HxW mask)
CHECKPOINT_FORMAT = "pixgen-unet-segmenter"
CHECKPOINT_VERSION = 1
# Melanin absorbs short wavelengths most: a darker-skin jitter attenuates blue > green > red.
_MELANIN_ABSORPTION = torch.tensor([0.6, 0.8, 1.0]).view(3, 1, 1)


@dataclass
class TrainedSegmenter:
    """Weights (on CPU), the config that produced them and their validation metrics."""

    state_dict: dict[str, torch.Tensor]
    config: SegmenterConfig
    metrics: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def model(self) -> "UNet | LiteUNet":
        """One CPU network in eval mode, built once: inference reuses it (building costs about
        as much as a forward pass)."""
        return self.build_model()

    def build_model(self, device: str | torch.device | None = None) -> "UNet | LiteUNet":
        """The network with these weights, in eval mode."""
        model = build_unet(self.config)
        model.load_state_dict(self.state_dict)
        return model.to(device or "cpu").eval()


def build_unet(config: SegmenterConfig) -> "UNet | LiteUNet":
    if config.arch == "lite":
        return LiteUNet(
            base_channels=config.base_channels, depth=config.depth, stem_stride=config.stem_stride
        )
    return UNet(base_channels=config.base_channels, depth=config.depth, norm=config.norm)


# The network's shape: a checkpoint can seed a run only when all of these are the same.
_SHAPE_FIELDS = ("arch", "base_channels", "depth", "stem_stride", "norm")


def load_init_weights(source: str, config: SegmenterConfig) -> dict[str, torch.Tensor]:
    """The state dict a run starts from: "shipped" (the checksummed shipped weights) or a
    checkpoint file; ValueError when it is unreadable or its network differs from config's."""
    if source == "shipped":
        from synthesis.ml.shipped_segmenter import load_shipped

        init = load_shipped()
    else:
        try:
            with open(source, "rb") as fh:
                init = load_checkpoint(fh.read())
        except OSError as exc:
            raise ValueError(f"cannot read the starting weights {source}: {exc}") from None
    mismatched = [
        f"{name} {getattr(init.config, name)!r} (run: {getattr(config, name)!r})"
        for name in _SHAPE_FIELDS
        if getattr(init.config, name) != getattr(config, name)
        and not (name == "norm" and config.arch == "lite")  # the lite network ignores norm
    ]
    if mismatched:
        raise ValueError(
            f"the starting weights {source} are a different network: {'; '.join(mismatched)}"
        )
    return init.state_dict


def cosine_schedule(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_fraction: float = 0.03
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over the first steps (the optimiser's moments start empty even when the
    weights do not), then a cosine decay to 1% of the learning rate at the last step."""
    warmup = max(1, round(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def resize_pair(rgb: np.ndarray, mask: np.ndarray, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 HxWx3 + bool HxW -> float (3, size, size) in 0..1 and float (1, size, size) {0, 1}."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or mask.shape != rgb.shape[:2]:
        raise ValueError(f"need an HxWx3 image and an HxW mask, got {rgb.shape} and {mask.shape}")
    image = torch.tensor(rgb).permute(2, 0, 1).float().div(255)
    target = torch.from_numpy(np.asarray(mask, dtype=np.float32))[None]
    both = torch.cat([image, target])[None]
    both = F.interpolate(both, size=(size, size), mode="bilinear", antialias=True)[0]
    return both[:3].clamp(0, 1), (both[3:] > 0.5).float()


class SegmentationDataset(Dataset):
    """Pairs resized once to image_size; augmentation drawn from (seed, epoch, index)."""

    def __init__(self, pairs: Sequence[Pair], config: SegmenterConfig, augment: bool = True):
        resized = [resize_pair(rgb, mask, config.image_size) for rgb, mask in pairs]
        self.images = torch.stack([image for image, _ in resized])
        self.masks = torch.stack([mask for _, mask in resized])
        self.config = config
        self.augment = augment
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, mask = self.images[index], self.masks[index]
        if self.augment:
            rng = np.random.default_rng([self.config.seed, self.epoch, index])
            image, mask = augment_pair(image, mask, self.config, rng)
        return image, mask


def augment_pair(
    image: torch.Tensor, mask: torch.Tensor, config: SegmenterConfig, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Geometric changes to both, photometric changes to the image only."""
    if config.augment_flip:
        if rng.random() < 0.5:
            image, mask = image.flip(-1), mask.flip(-1)
        if rng.random() < 0.5:
            image, mask = image.flip(-2), mask.flip(-2)
    if config.augment_rotate90:
        turns = int(rng.integers(4))
        image, mask = image.rot90(turns, (-2, -1)), mask.rot90(turns, (-2, -1))
    if config.augment_affine and rng.random() < 0.7:
        image, mask = _random_affine(image, mask, rng)
    if config.augment_color:
        # Imported here: torchvision takes seconds to import, and loading a checkpoint to
        # segment (the worker's analysis) never needs it.
        from torchvision.transforms.v2 import functional as TF

        image = TF.adjust_brightness(image, rng.uniform(0.75, 1.25))
        image = TF.adjust_contrast(image, rng.uniform(0.75, 1.25))
        image = TF.adjust_saturation(image, rng.uniform(0.7, 1.3))
        image = TF.adjust_hue(image, rng.uniform(-0.04, 0.04))
    if config.augment_skin_tone and rng.random() < 0.5:
        # Beer-Lambert: more epidermal melanin over the whole field, lesion included.
        image = image * torch.exp(-rng.uniform(0.1, 1.3) * _MELANIN_ABSORPTION)
    return image.clamp(0, 1).contiguous(), mask.contiguous()


def _random_affine(
    image: torch.Tensor, mask: torch.Tensor, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    angle = math.radians(rng.uniform(-20, 20))
    scale = rng.uniform(0.85, 1.2)
    tx, ty = rng.uniform(-0.08, 0.08, size=2)
    cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
    theta = torch.tensor([[cos, -sin, tx], [sin, cos, ty]], dtype=torch.float32)[None]
    both = torch.cat([image, mask])[None]
    grid = F.affine_grid(theta, list(both.shape), align_corners=False)
    both = F.grid_sample(both, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return both[0, :3], (both[0, 3:] > 0.5).float()


def dice_bce_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Binary cross-entropy plus (1 - soft Dice per image), averaged over the batch."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    probs = torch.sigmoid(logits).flatten(1)
    flat = target.flatten(1)
    overlap = (probs * flat).sum(1)
    soft_dice = (2 * overlap + smooth) / (probs.sum(1) + flat.sum(1) + smooth)
    return bce + (1 - soft_dice).mean()


def split_pairs(pairs: Sequence[Pair], val_fraction: float, seed: int) -> tuple[list, list]:
    """Deterministic shuffle by seed, then the first val_fraction (at least one) for validation."""
    if len(pairs) < 2:
        raise ValueError("need at least two pairs to split off a validation set")
    order = np.random.default_rng(seed).permutation(len(pairs))
    n_val = min(len(pairs) - 1, max(1, round(len(pairs) * val_fraction)))
    return [pairs[i] for i in order[n_val:]], [pairs[i] for i in order[:n_val]]


def data_fingerprint(pairs: Sequence[Pair]) -> str:
    """sha256 over the images and masks, in order: identifies the data snapshot."""
    digest = hashlib.sha256()
    for rgb, mask in pairs:
        digest.update(str(rgb.shape).encode())
        digest.update(np.ascontiguousarray(rgb).tobytes())
        digest.update(np.packbits(np.asarray(mask, dtype=bool)).tobytes())
    return digest.hexdigest()


def evaluate_segmenter(
    model: "UNet | LiteUNet", pairs: Sequence[Pair], config: SegmenterConfig
) -> tuple[float, float]:
    """Mean Dice and Jaccard at each mask's own resolution (which may differ from its
    image's), with default post-processing."""
    truths = [np.asarray(mask, dtype=bool) for _, mask in pairs]
    preds = predict_masks(
        model,
        [rgb for rgb, _ in pairs],
        image_size=config.image_size,
        postprocess=config.postprocess,
        shapes=[t.shape for t in truths],
    )
    dices = [dice(p, t) for p, t in zip(preds, truths, strict=True)]
    jaccards = [jaccard(p, t) for p, t in zip(preds, truths, strict=True)]
    return float(np.mean(dices)), float(np.mean(jaccards))


def train_segmenter(
    pairs: Sequence[Pair],
    config: SegmenterConfig,
    *,
    val_pairs: Sequence[Pair] | None = None,
    device: str | torch.device | None = None,
    progress: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_best: Callable[[TrainedSegmenter], None] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainedSegmenter:
    """AdamW + one-cycle (or cosine) schedule on Dice+BCE, from random weights or from
    config.init_from; returns the weights with the best validation Dice. Pairs may be given
    already at config.image_size (a cache) to skip resizing."""
    started = time.perf_counter()
    device = pick_device(device)
    if val_pairs is None:
        train_pairs, val_pairs = split_pairs(pairs, config.val_fraction, config.seed)
    else:
        train_pairs, val_pairs = list(pairs), list(val_pairs)
    if not train_pairs or not val_pairs:
        raise ValueError("need at least one training pair and one validation pair")

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        # channels_last: the depthwise kernels of oneDNN run about twice as fast in it on a CPU.
        model = build_unet(config)
    if config.init_from:
        model.load_state_dict(load_init_weights(config.init_from, config))
    model = model.to(device, memory_format=torch.channels_last)
    dataset = SegmentationDataset(train_pairs, config, augment=True)
    loader = DataLoader(
        dataset,
        batch_size=config.batch_size,
        shuffle=True,
        drop_last=len(dataset) > config.batch_size,
        generator=torch.Generator().manual_seed(config.seed),
    )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    total_steps = max(1, config.epochs * len(loader))
    if config.schedule == "cosine":
        scheduler = cosine_schedule(optimizer, total_steps)
    else:
        # One cycle (Smith & Topin 2019): a short warm-up then annealing; converges in few epochs.
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, total_steps=total_steps, pct_start=0.15
        )

    best: dict[str, Any] = {"val_dice": -1.0, "val_jaccard": 0.0, "epoch": 0, "state": None}
    history: list[dict[str, Any]] = []
    step, epochs_run, stopped = 0, 0, False

    def validate(epoch: int) -> float:
        val_dice, val_jaccard = evaluate_segmenter(model.eval(), val_pairs, config)
        if val_dice > best["val_dice"]:
            state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            best.update(val_dice=val_dice, val_jaccard=val_jaccard, epoch=epoch, state=state)
            if on_best is not None:  # e.g. keep a file, so a killed run still leaves its best
                on_best(TrainedSegmenter(state, config, {"val_dice": val_dice, "epoch": epoch}))
        return val_dice

    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        dataset.set_epoch(epoch)
        model.train()
        losses = []
        for images, masks in loader:
            if should_stop is not None and should_stop():
                stopped = True
                break
            images = images.to(device, memory_format=torch.channels_last)
            masks = masks.to(device)
            loss = dice_bce_loss(model(normalize(images)), masks)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            step += 1
            if on_step is not None:
                on_step(step, losses[-1])
        if stopped and not losses:
            break
        epochs_run = epoch if not stopped else epochs_run
        due = stopped or epoch == config.epochs or epoch % max(1, config.val_every) == 0
        val_dice = validate(epoch) if due else None
        record = {
            "epoch": epoch,
            "step": step,
            "loss": float(np.mean(losses)),
            "val_dice": val_dice,
            "seconds": round(time.perf_counter() - epoch_started, 1),
        }
        history.append(record)
        if progress is not None:
            progress({**record, "epochs": config.epochs, "best_val_dice": best["val_dice"]})
        if stopped:
            break
    if best["state"] is None:  # stopped before any step: keep the initial weights
        validate(0)

    metrics = {
        "val_dice": best["val_dice"],
        "val_jaccard": best["val_jaccard"],
        "best_epoch": best["epoch"],
        "train_size": len(train_pairs),
        "val_size": len(val_pairs),
        "epochs_run": epochs_run,
        "steps": step,
        "stopped_early": stopped,
        "wall_seconds": time.perf_counter() - started,
        "device": str(device),
        "data_fingerprint": data_fingerprint([*train_pairs, *val_pairs]),
        "history": history,
    }
    return TrainedSegmenter(state_dict=best["state"], config=config, metrics=metrics)


def checkpoint_payload(trained: TrainedSegmenter) -> dict:
    """Plain data only (tensors, numbers, strings), loadable with weights_only."""
    return {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_VERSION,
        "config": trained.config.as_dict(),
        "metrics": trained.metrics,
        "state_dict": {k: v.detach().cpu() for k, v in trained.state_dict.items()},
    }


def save_checkpoint(trained: TrainedSegmenter, fileobj: IO[bytes]) -> None:
    write_bundle(checkpoint_payload(trained), fileobj)


def load_checkpoint(fileobj: IO[bytes] | bytes) -> TrainedSegmenter:
    """Inverse of save_checkpoint; anything else (corrupt, foreign, mismatched) -> ValueError."""
    what = "PixGen U-Net segmenter checkpoint"
    payload = require_format(
        read_bundle(fileobj, what=what),
        what=what,
        kinds=(CHECKPOINT_FORMAT,),
        version=CHECKPOINT_VERSION,
    )
    try:
        # Checkpoints written before the lite network existed carry no arch: the plain U-Net.
        values = {"arch": "unet", **dict(payload["config"])}
        # Checkpoints written before the eight-view average said whether to average with the
        # mirror image.
        if "flip_average" in values:
            mirrored = values.pop("flip_average")
            values.setdefault("views", 2 if mirrored else 1)
        config = SegmenterConfig.from_dict(values)
        trained = TrainedSegmenter(
            state_dict=dict(payload["state_dict"]), config=config, metrics=dict(payload["metrics"])
        )
        trained.build_model()  # checks that the weights fit the architecture in the config
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"inconsistent segmenter checkpoint: {exc}") from exc
    return trained
