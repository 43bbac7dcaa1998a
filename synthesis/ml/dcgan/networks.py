"""Conditional DCGAN networks: a Conv2DTranspose generator and a projection discriminator.

Conditions arrive as a LongTensor (batch, 5) of vocabulary indices in the order of
`conditions.FIELDS`. The generator concatenates their embeddings to the noise; the
discriminator uses them by projection (Miyato & Koyama 2018): score = linear(h) + sum over
fields of <embed(y), h>. Every weight of the discriminator is spectrally normalised.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .conditions import FIELDS
from .config import GanConfig


def _embedding_dims(config: GanConfig) -> dict[str, int]:
    dims = {"diagnosis": config.diagnosis_dim, "fitzpatrick": config.fitzpatrick_dim}
    return {name: dims.get(name, config.metadata_dim) for name in FIELDS}


def _n_scales(image_size: int) -> int:
    return int(math.log2(image_size)) - 2  # number of x2 steps between 4x4 and image_size


class ConditionEmbedding(nn.Module):
    """One embedding table per condition field, outputs concatenated."""

    def __init__(self, sizes: dict[str, int], dims: dict[str, int]):
        super().__init__()
        tables = {name: nn.Embedding(sizes[name], dims[name]) for name in FIELDS}
        self.tables = nn.ModuleDict(tables)
        self.out_dim = sum(dims[name] for name in FIELDS)

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.tables[name](cond[:, i]) for i, name in enumerate(FIELDS)], dim=1)


class Generator(nn.Module):
    """(noise, conditions) -> RGB in [-1, 1] at config.image_size."""

    def __init__(self, config: GanConfig, sizes: dict[str, int]):
        super().__init__()
        n = _n_scales(config.image_size)
        widths = [config.g_width * min(8, 2 ** (n - 1 - i)) for i in range(n)]
        self.latent_dim = config.latent_dim
        self.embed = ConditionEmbedding(sizes, _embedding_dims(config))
        self.project = nn.Sequential(
            nn.Linear(config.latent_dim + self.embed.out_dim, widths[0] * 16, bias=False),
            nn.Unflatten(1, (widths[0], 4, 4)),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        blocks = []
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            blocks += [
                nn.ConvTranspose2d(w_in, w_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(w_out),
                nn.ReLU(inplace=True),
            ]
        blocks += [nn.ConvTranspose2d(widths[-1], 3, 4, 2, 1), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.project(torch.cat([z, self.embed(cond)], dim=1)))


class Discriminator(nn.Module):
    """RGB image + conditions -> one unbounded score per image (hinge loss)."""

    def __init__(self, config: GanConfig, sizes: dict[str, int]):
        super().__init__()
        n = _n_scales(config.image_size)
        widths = [config.d_width * min(8, 2**i) for i in range(n)]
        layers, w_in = [], 3
        for w_out in widths:
            layers += [spectral_norm(nn.Conv2d(w_in, w_out, 4, 2, 1)), nn.LeakyReLU(0.2)]
            w_in = w_out
        self.features = nn.Sequential(*layers)
        self.score = spectral_norm(nn.Linear(w_in, 1))
        self.project = nn.ModuleDict(
            {name: spectral_norm(nn.Embedding(sizes[name], w_in)) for name in FIELDS}
        )

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = self.features(x).sum(dim=(2, 3))
        out = self.score(h).squeeze(1)
        for i, name in enumerate(FIELDS):
            out = out + (self.project[name](cond[:, i]) * h).sum(dim=1)
        return out


def _dcgan_init(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_generator(config: GanConfig, sizes: dict[str, int], seed: int | None = None) -> Generator:
    """A generator initialised from `seed` (default config.seed) without touching global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed if seed is None else seed)
        generator = Generator(config, sizes)
        generator.apply(_dcgan_init)
    return generator


def build_discriminator(config: GanConfig, sizes: dict[str, int]) -> Discriminator:
    # Spectral norm draws its power-iteration vectors at construction, so seed that too.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed + 1)
        return Discriminator(config, sizes)
