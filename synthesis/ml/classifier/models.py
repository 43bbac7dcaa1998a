"""Build torchvision classifiers from scratch, optionally from a local checkpoint (no downloads)."""

import logging
from collections.abc import Mapping
from pathlib import Path

import torch
import torchvision
from torch import nn

from synthesis.ml.bundles import read_bundle

logger = logging.getLogger(__name__)


def available_archs() -> list[str]:
    """torchvision image-classification architectures (no detection/segmentation/video)."""
    return torchvision.models.list_models(module=torchvision.models)


def build_model(arch: str, num_classes: int, *, checkpoint_path: "str | Path | None" = None):
    """A torchvision `arch` with `num_classes` outputs, random weights or a local checkpoint.

    A checkpoint whose class-count layers differ (e.g. ImageNet's 1000) keeps the fresh layers.
    """
    if arch not in available_archs():
        raise ValueError(f"unknown architecture {arch!r}; expected one of {available_archs()}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    model = torchvision.models.get_model(arch, weights=None, num_classes=num_classes)
    if checkpoint_path is not None:
        load_checkpoint(model, checkpoint_path, num_classes=num_classes)
    return model


def load_checkpoint(model: nn.Module, path: "str | Path", *, num_classes: int) -> list[str]:
    """Load a local state_dict into `model`; returns the keys left fresh (the replaced head)."""
    state = read_state_dict(path)
    own = model.state_dict()
    is_head = {k: v.ndim >= 1 and v.shape[0] == num_classes for k, v in own.items()}
    replaced, problems = [], []
    for key, value in list(state.items()):
        if key not in own:
            problems.append(f"unexpected key {key}")
        elif value.shape != own[key].shape:
            if is_head[key] and value.shape[1:] == own[key].shape[1:]:
                replaced.append(key)
                del state[key]
            else:
                problems.append(
                    f"{key} has shape {tuple(value.shape)}, model {tuple(own[key].shape)}"
                )
    for key in own.keys() - state.keys() - set(replaced):
        if is_head[key] or key.endswith("num_batches_tracked"):
            replaced.append(key)
        else:
            problems.append(f"missing key {key}")
    if problems:
        shown = "; ".join(sorted(problems)[:5])
        raise ValueError(
            f"checkpoint {path} does not fit this architecture ({len(problems)} problems): {shown}"
        )
    model.load_state_dict(state, strict=False)
    if replaced:
        logger.info("checkpoint %s: kept fresh %s", path, ", ".join(sorted(replaced)))
    return sorted(replaced)


def read_state_dict(path: "str | Path") -> dict[str, torch.Tensor]:
    """A state_dict from a plain state_dict file or a bundle holding one under 'state_dict'."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint not found: {path}")
    try:
        obj = read_bundle(path, what="checkpoint")
    except ValueError as exc:  # pickle, zip and tensor errors all mean "not a usable checkpoint"
        raise ValueError(f"cannot read checkpoint {path}: {exc}") from exc
    if isinstance(obj, Mapping):
        for wrapper in ("state_dict", "model", "model_state_dict"):
            if isinstance(obj.get(wrapper), Mapping):
                obj = obj[wrapper]
                break
    if not isinstance(obj, Mapping) or not obj:
        raise ValueError(f"checkpoint {path} holds no state_dict")
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()):
        raise ValueError(f"checkpoint {path} is not a state_dict of named tensors")
    return {k.removeprefix("module."): v for k, v in obj.items()}


def logits_of(output) -> torch.Tensor:
    """Main logits of a forward pass (googlenet/inception return auxiliary outputs in training)."""
    if isinstance(output, torch.Tensor):
        return output
    return output.logits if hasattr(output, "logits") else output[0]
