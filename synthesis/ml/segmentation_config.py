"""Hyper-parameters of a U-Net segmenter training run (no torch, so pages can check them)."""

from dataclasses import dataclass, replace

from synthesis.ml.settings import TrainingSettings


@dataclass
class SegmenterConfig(TrainingSettings):
    """Hyper-parameters of one training run; stored with every checkpoint."""

    what = "segmenter"

    # "lite": the depthwise-separable U-Net that trains on two CPU cores; "unet": the plain one.
    arch: str = "lite"
    image_size: int = 128
    # The lite network's first convolution halves the resolution: the full-size level costs
    # the most on a CPU and adds little to a lesion's outline once logits are upsampled.
    stem_stride: int = 2
    base_channels: int = 16
    depth: int = 4
    norm: str = "batch"
    epochs: int = 30
    batch_size: int = 16
    lr: float = 3e-3
    # "onecycle": warm-up to lr then anneal (from scratch); "cosine": a short warm-up then a
    # cosine decay from lr (fine-tuning from init_from).
    schedule: str = "onecycle"
    # Start from these weights instead of random ones: "shipped" or a checkpoint file; the
    # network (arch, widths, depth, stem) must match, the input size may differ.
    init_from: str = ""
    weight_decay: float = 1e-3
    val_fraction: float = 0.15
    val_every: int = 1
    seed: int = 0
    augment_flip: bool = True
    augment_rotate90: bool = True
    augment_affine: bool = True
    augment_color: bool = True
    augment_skin_tone: bool = True
    postprocess: bool = True
    # Inference, chosen after training on held-out images (bench/segmentation_choose.py) and
    # stored with the weights: how the probability is cut ("fixed": at `threshold`; "stable":
    # per image, where the mask's area changes least, see segmentation_inference.stable_cut),
    # and how many views of the image the prediction averages (VIEWS; each costs one network
    # pass).
    threshold: float = 0.5
    views: int = 1
    cut: str = "fixed"

    def __post_init__(self) -> None:
        if self.arch not in ARCHES:
            raise ValueError(f"unknown arch {self.arch!r}: expected one of {', '.join(ARCHES)}")
        if not 0 < self.threshold < 1:
            raise ValueError(f"threshold must be between 0 and 1, got {self.threshold}")
        require_views(self.views)
        if self.cut not in CUTS:
            raise ValueError(f"unknown cut {self.cut!r}: expected one of {', '.join(CUTS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"unknown schedule {self.schedule!r}: expected one of {', '.join(SCHEDULES)}"
            )

    def predicting_like(self, other: "SegmenterConfig") -> "SegmenterConfig":
        """A copy that predicts as `other` does (cut rule, threshold, views averaged), with no
        more views than this run's augmentation taught the network to treat alike: eight after
        flips and quarter turns, two after flips alone, else one."""
        taught = 8 if self.augment_flip and self.augment_rotate90 else 2 if self.augment_flip else 1
        return replace(
            self, cut=other.cut, threshold=other.threshold, views=min(other.views, taught)
        )


ARCHES = ("lite", "unet")
SCHEDULES = ("onecycle", "cosine")
CUTS = ("fixed", "stable")
# Views averaged at inference: the image alone; with its mirror image; the four quarter turns
# of both (the symmetries of a square, all of which the training augmentation showed the
# network, and none of which changes what a dermoscopic lesion is).
VIEWS = (1, 2, 8)


def require_views(views) -> int:
    """`views` when it is one of VIEWS (an int, not a bool or a float), else a ValueError."""
    if type(views) is not int or views not in VIEWS:
        raise ValueError(f"views must be one of {', '.join(map(str, VIEWS))}, got {views!r}")
    return views
