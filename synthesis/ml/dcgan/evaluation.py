"""Metrics stored with each model version: tone fidelity, diversity, Fréchet distance, losses.

Fréchet distance feature space ("diagnosis-encoder FD"): the 64-d global-average-pooled
penultimate layer of a small 4-block CNN trained in-process, for `encoder_steps`, to
classify diagnosis on the same training records at 64x64 (see `train_feature_encoder`).
It is not Inception-FID: values are only comparable between models scored with the same
encoder (same records, seed and settings), which is why GAN and baseline share one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from synthesis.ml.device import pick_device
from synthesis.ml.fitzpatrick import group_of

from .conditions import ConditionSpace, normalise
from .data import GanDataset, ImageRecord, square_resize, to_tensor

Sampler = Callable[[Mapping, int, int], list[np.ndarray]]  # (conditions, count, seed) -> images
ToneMeasure = Callable[[np.ndarray], "int | str"]  # rgb -> Fitzpatrick 1-6 or "I-II"/...
ENCODER_SIZE = 64
FEATURE_DIM = 64


def default_tone_measure() -> ToneMeasure | None:
    """skin_tone.measure_tone's estimated Fitzpatrick type, or None where that module is absent."""
    try:
        from synthesis.ml.skin_tone import measure_tone
    except ImportError:
        return None
    return lambda rgb: measure_tone(rgb).estimated_fitzpatrick


def tone_fidelity(
    images: Sequence[np.ndarray], requested_fitzpatrick: int, measure: ToneMeasure
) -> float:
    """Share of images whose measured tone falls in the requested Fitzpatrick group.

    An image the measure rejects (ValueError, e.g. too little healthy skin) counts as a miss.
    """
    if not images:
        raise ValueError("tone fidelity needs at least one image")
    wanted = group_of(requested_fitzpatrick)
    hits = 0
    for rgb in images:
        try:
            measured = measure(rgb)
        except ValueError:
            continue
        group = measured if isinstance(measured, str) else group_of(measured)
        hits += group == wanted
    return hits / len(images)


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim_pairs(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean SSIM of grey images a[i] vs b[i] (N x 1 x H x W, range 0..255)."""
    window = _gaussian_window().to(a)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = F.conv2d(a, window), F.conv2d(b, window)
    var_a = F.conv2d(a * a, window) - mu_a**2
    var_b = F.conv2d(b * b, window) - mu_b**2
    cov = F.conv2d(a * b, window) - mu_a * mu_b
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return ssim.mean(dim=(1, 2, 3))


def diversity(images: Sequence[np.ndarray], size: int = 64) -> float:
    """Mean pairwise (1 - SSIM) over all pairs, on greyscale images resized to size x size."""
    if len(images) < 2:
        raise ValueError("diversity needs at least two images")
    luma = np.array([0.299, 0.587, 0.114])
    grey = np.stack([square_resize(rgb, size).astype(np.float64) @ luma for rgb in images])
    grey = torch.from_numpy(grey)[:, None]
    i, j = zip(*itertools.combinations(range(len(images)), 2), strict=True)
    return float((1.0 - ssim_pairs(grey[list(i)], grey[list(j)])).mean())


class DiagnosisEncoder(nn.Module):
    """Small CNN: 4 conv blocks -> global average pool (the features) -> linear diagnosis head."""

    def __init__(self, n_classes: int, width: int = 16, feature_dim: int = FEATURE_DIM):
        super().__init__()
        chans = [3, width, width * 2, width * 4, feature_dim]
        layers = []
        for c_in, c_out in itertools.pairwise(chans):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out)]
            layers += [nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(feature_dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


@dataclass
class FeatureEncoder:
    network: DiagnosisEncoder
    train_accuracy: float
    description: str

    @torch.no_grad()
    def features(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """N x FEATURE_DIM float64 penultimate-layer features of uint8 RGB images."""
        net = self.network.eval()
        device = next(net.parameters()).device
        out = []
        for start in range(0, len(images), 64):
            x = torch.stack([to_tensor(rgb, ENCODER_SIZE) for rgb in images[start : start + 64]])
            out.append(net.body(x.to(device)).double().cpu())
        return torch.cat(out).numpy()


def train_feature_encoder(
    records: Sequence[ImageRecord],
    *,
    steps: int = 300,
    batch_size: int = 32,
    width: int = 16,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> FeatureEncoder:
    """Train the diagnosis classifier whose penultimate layer is the Fréchet feature space."""
    device = pick_device(device)
    space = ConditionSpace.from_conditions(r.conditions for r in records)
    dataset = GanDataset(records, space, ENCODER_SIZE, flips=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = DiagnosisEncoder(len(space.vocab["diagnosis"]), width).to(device)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    rng = torch.Generator().manual_seed(seed + 1)
    net.train()
    for step in range(steps):
        x, cond = dataset.batch(dataset.indices(step, batch_size, seed), rng)
        loss = F.cross_entropy(net(x.to(device)), cond[:, 0].to(device))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    net.eval()
    with torch.no_grad():
        chunks = dataset.images.split(64)
        logits = torch.cat([net(chunk.to(device)) for chunk in chunks])
    accuracy = float((logits.argmax(1).cpu() == dataset.cond[:, 0]).float().mean())
    description = (
        f"diagnosis-CNN penultimate layer ({FEATURE_DIM}-d, width {width}, {ENCODER_SIZE}px, "
        f"{steps} steps on {len(records)} repository images, seed {seed})"
    )
    return FeatureEncoder(net, accuracy, description)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2) between two feature sets.

    Tr((S_a S_b)^1/2) is computed as the sum of square roots of the eigenvalues of the
    symmetric S_a^1/2 S_b S_a^1/2, which stays stable when few samples make S singular.
    """
    if len(features_a) < 2 or len(features_b) < 2:
        raise ValueError("a Fréchet distance needs at least two samples per set")
    mu_a, mu_b = features_a.mean(0), features_b.mean(0)
    s_a = np.atleast_2d(np.cov(features_a, rowvar=False))
    s_b = np.atleast_2d(np.cov(features_b, rowvar=False))
    w, v = np.linalg.eigh(s_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root_a @ s_b @ root_a
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_covmean = np.sqrt(np.clip(eig, 0, None)).sum()
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * trace_covmean)
    return max(value, 0.0)


def evaluate(
    sample: Sampler,
    records: Sequence[ImageRecord],
    *,
    encoder: FeatureEncoder,
    measure: ToneMeasure | None = None,
    per_condition: int = 16,
    seed: int = 0,
) -> dict:
    """Sample every (diagnosis, Fitzpatrick) pair seen in training and score the samples."""
    space = ConditionSpace.from_conditions(r.conditions for r in records)
    generated, diversities, real_diversities = [], [], []
    fidelity_hits, real_hits = [], []
    for k, (dx, fitz) in enumerate(sorted(space.pair_counts)):
        images = sample({"diagnosis": dx, "fitzpatrick": fitz}, per_condition, seed + k)
        generated += images
        if per_condition >= 2:
            diversities.append(diversity(images))
        real = [r.rgb for r in records if _pair(r) == (dx, fitz)]
        if len(real) >= 2:
            real_diversities.append(diversity(real))
        if measure is not None:
            fidelity_hits.append(tone_fidelity(images, fitz, measure) * len(images))
            # The same measure on real images at the generated size: the ceiling to compare with.
            side = images[0].shape[0]
            real_small = [square_resize(rgb, side) for rgb in real]
            real_hits.append(tone_fidelity(real_small, fitz, measure) * len(real))
    real_feats = encoder.features([r.rgb for r in records])
    fake_feats = encoder.features(generated)
    return {
        "tone_fidelity": sum(fidelity_hits) / len(generated) if measure is not None else None,
        "real_tone_fidelity": sum(real_hits) / len(records) if measure is not None else None,
        "diversity": float(np.mean(diversities)) if diversities else None,
        "real_diversity": float(np.mean(real_diversities)) if real_diversities else None,
        "frechet_distance": frechet_distance(real_feats, fake_feats),
        "n_generated": len(generated),
        "n_real": len(records),
        "n_conditions": len(space.pair_counts),
        "feature_space": encoder.description,
    }


def _pair(record: ImageRecord) -> tuple[str, int]:
    row = normalise(record.conditions)
    return row["diagnosis"], row["fitzpatrick"]


def side_by_side(results: Mapping[str, Mapping]) -> str:
    """A plain-text table with one column per method (e.g. {'dcgan': ..., 'baseline': ...})."""
    keys = [
        "tone_fidelity",
        "real_tone_fidelity",
        "diversity",
        "real_diversity",
        "frechet_distance",
        "n_generated",
    ]
    names = list(results)
    lines = [f"{'metric':<18}" + "".join(f"{n:>14}" for n in names)]
    for key in keys:
        cells = []
        for name in names:
            value = results[name].get(key)
            if value is None:
                cells.append("n/a")
            else:
                cells.append(f"{value:.4g}" if isinstance(value, float) else str(value))
        lines.append(f"{key:<18}" + "".join(f"{c:>14}" for c in cells))
    return "\n".join(lines)


def sampler_for(trained, max_count: int = 1024) -> Sampler:
    """A Sampler over generation.generate for a TrainedGan (GAN or baseline)."""
    from .generation import generate

    def sample(conditions: Mapping, count: int, seed: int) -> list[np.ndarray]:
        return generate(trained, conditions, count, seed, max_count=max_count)

    return sample
