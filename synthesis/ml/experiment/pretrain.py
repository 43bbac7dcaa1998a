"""Self-supervised pre-training on the repository's own images: no labels, no download.

A small SimCLR (Chen et al. 2020): two random views of each image (crop, flips, quarter
turns, blur; no colour change, tone is the subject) are pulled together and apart from the
other images' views by the NT-Xent loss. The network's class layer serves as the projection
head; a classifier built from the checkpoint keeps the trunk and starts a fresh head."""

import hashlib
import math
import time

import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF

from synthesis.ml.bundles import bundle_bytes
from synthesis.ml.classifier.data import augment, normalise
from synthesis.ml.classifier.models import build_model, logits_of
from synthesis.ml.device import pick_device

PROJECTION_DIM = 64


def _views(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One random view per image: the classifier's geometric augmentation plus a mild blur."""
    out = augment(batch, generator, min_scale=0.35)
    if torch.rand((), generator=generator) < 0.5:
        out = TF.gaussian_blur(out, kernel_size=[3, 3], sigma=[0.8, 0.8])
    return out


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """SimCLR's loss: each view must pick its partner among the 2N - 1 other views."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, target)


def pretrain_simclr(
    images: torch.Tensor,
    *,
    arch: str,
    epochs: int = 5,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    temperature: float = 0.2,
    seed: int = 0,
    device=None,
    should_stop=None,
    progress=None,
) -> tuple[dict, dict]:
    """Nx3xSxS uint8 images -> (state_dict, record of what was done). Needs 4+ images."""
    if len(images) < 4:
        raise ValueError(f"self-supervised pre-training needs at least 4 images, got {len(images)}")
    device = pick_device(device)
    batch_size = min(batch_size, len(images))
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(arch, PROJECTION_DIM).to(device).train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    steps = max(1, len(images) // batch_size)
    total = steps * epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    started, losses, step, stopped = time.perf_counter(), [], 0, False
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(images), generator=generator)
        epoch_losses = []
        for idx in torch.tensor_split(order, steps):
            if should_stop is not None and should_stop():
                stopped = True
                break
            batch = images[idx]
            v1 = normalise(_views(batch, generator)).to(device)
            v2 = normalise(_views(batch, generator)).to(device)
            loss = nt_xent(logits_of(model(v1)), logits_of(model(v2)), temperature)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            scheduler.step()
            step += 1
            epoch_losses.append(loss.item())
        if epoch_losses:
            losses.append(sum(epoch_losses) / len(epoch_losses))
            if progress is not None:
                progress({"epoch": epoch, "epochs": epochs, "loss": losses[-1]})
        if stopped:
            break
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    record = {
        "kind": "self_supervised",
        "method": "simclr",
        "arch": arch,
        "images": int(len(images)),
        "image_size": int(images.shape[-1]),
        "epochs": epochs,
        "steps": step,
        "batch_size": batch_size,
        "temperature": temperature,
        "seed": seed,
        "loss_per_epoch": [round(x, 4) for x in losses],
        # Chance level of the loss: picking the partner among 2N - 1 views at random.
        "chance_loss": round(math.log(2 * batch_size - 1), 4),
        "seconds": round(time.perf_counter() - started, 2),
        "stopped_early": stopped,
        "sha256": hashlib.sha256(bundle_bytes(state)).hexdigest(),
    }
    return state, record
