"""Hyper-parameters of a U-Net segmenter training run (no torch, so pages can check them)."""

from dataclasses import dataclass

from synthesis.ml.settings import TrainingSettings


@dataclass
class SegmenterConfig(TrainingSettings):
    """Hyper-parameters of one training run; stored with every checkpoint."""

    what = "segmenter"

    image_size: int = 128
    base_channels: int = 16
    depth: int = 4
    norm: str = "batch"
    epochs: int = 30
    batch_size: int = 8
    lr: float = 2e-3
    weight_decay: float = 1e-4
    val_fraction: float = 0.15
    val_every: int = 1
    seed: int = 0
    augment_flip: bool = True
    augment_rotate90: bool = True
    augment_affine: bool = True
    augment_color: bool = True
    augment_skin_tone: bool = True
    postprocess: bool = True
