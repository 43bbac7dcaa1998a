"""Hyper-parameters of a classifier training run (no torch, so pages can check them)."""

from dataclasses import dataclass

from synthesis.ml.settings import TrainingSettings

DEFAULT_ARCH = "resnet18"


@dataclass
class ClassifierConfig(TrainingSettings):
    """The same config (split, seed, schedule) serves real-only and real+synthetic models."""

    what = "classifier"

    arch: str = DEFAULT_ARCH
    image_size: int = 128
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    seed: int = 0
    test_fraction: float = 0.2
    class_weighting: str = "balanced"  # "balanced" (inverse frequency) or "none"
    augment: bool = True
    checkpoint_path: str | None = None

    def __post_init__(self):
        if self.image_size < 32 or self.epochs < 1 or self.batch_size < 2:
            raise ValueError("image_size >= 32, epochs >= 1 and batch_size >= 2 are required")
        if self.class_weighting not in ("balanced", "none"):
            raise ValueError(
                f"class_weighting must be 'balanced' or 'none', not {self.class_weighting!r}"
            )
