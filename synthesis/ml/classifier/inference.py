"""Class probabilities from a trained classifier: batched, eval mode, no gradients."""

import numpy as np
import torch

from synthesis.ml.classifier.data import load_images, normalise
from synthesis.ml.classifier.models import logits_of
from synthesis.ml.device import pick_device


@torch.no_grad()
def predict_tensor(model, images: torch.Tensor, *, batch_size: int = 64, device=None):
    """Nx3xSxS uint8 -> NxC float64 probabilities."""
    device = pick_device(device)
    model = model.to(device).eval()
    out = []
    for start in range(0, len(images), batch_size):
        batch = normalise(images[start : start + batch_size]).to(device)
        out.append(torch.softmax(logits_of(model(batch)).float(), dim=1).cpu())
    if not out:
        return np.empty((0, 0))
    return torch.cat(out).double().numpy()


def predict_proba(trained, images, *, batch_size: int = 64, device=None) -> np.ndarray:
    """Images (paths, PIL images, HxWx3 uint8 arrays or records) -> NxC probabilities.

    Column i is trained.classes[i]; images are decoded in chunks to bound memory.
    """
    model = trained.model()
    size = trained.config["image_size"]
    images = list(images)
    parts = [
        predict_tensor(
            model, load_images(images[i : i + 256], size), batch_size=batch_size, device=device
        )
        for i in range(0, len(images), 256)
    ]
    if not parts:
        return np.empty((0, len(trained.classes)))
    return np.concatenate(parts)


def held_out_records(trained, records) -> list:
    """The records of the classifier's test split, in split order; ValueError if any is gone."""
    by_id = {r.record_id: r for r in records}
    missing = [i for i in trained.split["test"] if i not in by_id]
    if missing:
        raise ValueError(
            f"{len(missing)} test images of this classifier are not in the records "
            f"given (e.g. {missing[0]}): the snapshot has changed"
        )
    return [by_id[i] for i in trained.split["test"]]
