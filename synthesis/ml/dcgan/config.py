"""Hyper-parameters of the conditional DCGAN in one validated object."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

IMAGE_SIZES = (64, 128)
DIFFAUG_OPS = ("color", "translation", "cutout")

# Fields that change what a given step computes: a resumed run must agree on all of them.
# (steps, sample_every, checkpoint_every, log_every only say when to stop or report.)
LINEAGE_FIELDS = (
    "image_size",
    "latent_dim",
    "diagnosis_dim",
    "fitzpatrick_dim",
    "metadata_dim",
    "g_width",
    "d_width",
    "lr_g",
    "lr_d",
    "betas",
    "batch_size",
    "ema_decay",
    "diffaug_policy",
    "optional_dropout",
    "flips",
    "seed",
)


@dataclass(frozen=True)
class GanConfig:
    """Everything a training run needs besides its images; defaults suit a few hundred images."""

    image_size: int = 64
    latent_dim: int = 128
    diagnosis_dim: int = 16  # embedding width of the diagnosis code
    fitzpatrick_dim: int = 8  # embedding width of the Fitzpatrick type
    metadata_dim: int = 4  # embedding width of each optional field (age bin, sex, body site)
    g_width: int = 64  # channels of the generator's last block; earlier blocks use up to 8x
    d_width: int = 64  # channels of the discriminator's first block
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 64
    steps: int = 5000
    ema_decay: float = 0.999
    diffaug_policy: str = "color,translation,cutout"
    optional_dropout: float = 0.2  # chance an optional field is trained as 'unknown'
    flips: bool = True
    sample_every: int = 250
    checkpoint_every: int = 500
    log_every: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if self.image_size not in IMAGE_SIZES:
            raise ValueError(f"image_size must be one of {IMAGE_SIZES}, got {self.image_size!r}")
        for name in ("latent_dim", "diagnosis_dim", "fitzpatrick_dim", "metadata_dim"):
            _require_positive_int(self, name)
        for name in ("g_width", "d_width", "batch_size", "steps"):
            _require_positive_int(self, name)
        for name in ("sample_every", "checkpoint_every", "log_every"):
            _require_positive_int(self, name)
        if not (isinstance(self.seed, int) and self.seed >= 0):
            raise ValueError(f"seed must be a non-negative int, got {self.seed!r}")
        if not (self.lr_g > 0 and self.lr_d > 0):
            raise ValueError("lr_g and lr_d must be positive")
        betas = tuple(float(b) for b in self.betas)
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        object.__setattr__(self, "betas", betas)
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")
        if not 0.0 <= self.optional_dropout <= 1.0:
            raise ValueError(f"optional_dropout must be in [0, 1], got {self.optional_dropout!r}")
        unknown = set(self.diffaug_ops) - set(DIFFAUG_OPS)
        if unknown:
            raise ValueError(f"unknown diffaug ops {sorted(unknown)}; known: {DIFFAUG_OPS}")

    @property
    def diffaug_ops(self) -> tuple[str, ...]:
        return tuple(op.strip() for op in self.diffaug_policy.split(",") if op.strip())

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["betas"] = list(self.betas)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> GanConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown GanConfig fields: {sorted(unknown)}")
        values = dict(data)
        if "betas" in values:
            values["betas"] = tuple(values["betas"])
        return cls(**values)

    def replace(self, **changes) -> GanConfig:
        return dataclasses.replace(self, **changes)

    def lineage_differences(self, other: GanConfig) -> list[str]:
        """Names of the fields that would make `other` a different training lineage."""
        return [name for name in LINEAGE_FIELDS if getattr(self, name) != getattr(other, name)]


def _require_positive_int(config: GanConfig, name: str) -> None:
    value = getattr(config, name)
    if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        raise ValueError(f"{name} must be a positive int, got {value!r}")
