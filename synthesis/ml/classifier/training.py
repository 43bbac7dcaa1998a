"""Train a classifier on a snapshot of labelled records; save and load it as one bundle."""

import dataclasses
import hashlib
import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from synthesis.ml.bundles import read_bundle, require_format, write_bundle
from synthesis.ml.classifier.config import ClassifierConfig
from synthesis.ml.classifier.data import augment, load_images, normalise, split_records
from synthesis.ml.classifier.inference import predict_tensor
from synthesis.ml.classifier.models import build_model, logits_of
from synthesis.ml.classifier.tasks import get_task
from synthesis.ml.device import pick_device

BUNDLE_FORMAT = "pixgen-classifier"
BUNDLE_VERSION = 1


@dataclass
class TrainedClassifier:
    task: str
    classes: tuple[str, ...]
    config: dict
    state_dict: dict
    split: dict
    metrics: dict
    data_snapshot: dict
    version: str
    format_version: int = field(default=BUNDLE_VERSION)

    def model(self) -> nn.Module:
        """A fresh network holding these weights, in eval mode."""
        model = build_model(self.config["arch"], len(self.classes))
        model.load_state_dict(self.state_dict)
        return model.eval()


def train_classifier(
    records,
    config: ClassifierConfig,
    *,
    task,
    device=None,
    progress=None,
    should_stop=None,
    split_seed: int | None = None,
) -> TrainedClassifier:
    """Train on the split's training part and score its test part.

    progress(dict) is called after each epoch; should_stop() is checked before each step and
    ends training early (metrics["stopped_early"] says so) with the weights reached so far.
    split_seed (default: config.seed) fixes the split apart from the training seed, so runs
    of several seeds meet the same test images.
    """
    task = get_task(task)
    device = pick_device(device)
    by_id = {r.record_id: r for r in records}
    labels = {r.record_id: r.label(task) for r in records}
    split = split_records(
        records,
        seed=config.seed if split_seed is None else split_seed,
        test_fraction=config.test_fraction,
    )
    if len(split.train) < 2:
        raise ValueError(f"need at least 2 training images, the split leaves {len(split.train)}")
    train_y = torch.tensor([labels[i] for i in split.train])
    test_y = np.array([labels[i] for i in split.test])
    train_x = load_images([by_id[i] for i in split.train], config.image_size)
    test_x = load_images([by_id[i] for i in split.test], config.image_size)

    # Seeded weights and dropout without touching the caller's global RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = build_model(config.arch, task.num_classes, checkpoint_path=config.checkpoint_path)
        fit = _fit(model, train_x, train_y, config, task, device, progress, should_stop)

    proba = predict_tensor(model, test_x, device=device)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    metrics = {
        **fit,
        "device": str(device),
        **_test_metrics(test_y, proba, task.num_classes),
    }
    snapshot = _snapshot(records, labels, split, task)
    digest = hashlib.sha256(
        json.dumps([config.as_dict(), snapshot["fingerprint"]], sort_keys=True).encode()
    ).hexdigest()
    return TrainedClassifier(
        task=task.name,
        classes=task.classes,
        config=config.as_dict(),
        state_dict=state,
        split=split.as_dict(),
        metrics=metrics,
        data_snapshot=snapshot,
        version=f"{task.name}-{config.arch}-{digest[:12]}",
    )


def _fit(model, train_x, train_y, config, task, device, progress, should_stop) -> dict:
    """AdamW with a cosine schedule over a fixed number of epochs; returns training figures."""
    model.to(device).train()
    counts = torch.bincount(train_y, minlength=task.num_classes).float()
    weight = None
    if config.class_weighting == "balanced":
        weight = torch.where(counts > 0, counts.sum() / (task.num_classes * counts.clamp(min=1)), 0)
    loss_fn = nn.CrossEntropyLoss(weight=None if weight is None else weight.to(device))
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    steps_per_epoch = max(1, len(train_y) // config.batch_size)
    total = steps_per_epoch * config.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    generator = torch.Generator().manual_seed(config.seed)
    history, step, seen, stopped = [], 0, 0, False
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(len(train_y), generator=generator)
        # Equal-ish batches, none of size one (BatchNorm cannot train on a single image).
        losses = []
        for idx in torch.tensor_split(order, steps_per_epoch):
            if should_stop is not None and should_stop():
                stopped = True
                break
            x = augment(train_x[idx], generator) if config.augment else train_x[idx]
            loss = loss_fn(logits_of(model(normalise(x).to(device))), train_y[idx].to(device))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            scheduler.step()
            step, seen = step + 1, seen + len(idx)
            losses.append(loss.item())
        if losses:
            record = {"epoch": epoch, "step": step, "loss": float(np.mean(losses))}
            history.append(record)
            if progress is not None:
                progress({**record, "epochs": config.epochs, "steps": total})
        if stopped:
            break
    seconds = time.perf_counter() - started

    return {
        "train_seconds": seconds,
        "train_images_per_second": seen / seconds if seconds > 0 else 0.0,
        "steps": step,
        "planned_steps": total,
        "stopped_early": stopped,
        "history": history,
    }


def _test_metrics(y: np.ndarray, proba: np.ndarray, num_classes: int) -> dict:
    if len(y) == 0:
        return {"test_n": 0}
    pred = proba.argmax(1)
    recalls = [float(np.mean(pred[y == c] == c)) for c in range(num_classes) if np.any(y == c)]
    return {
        "test_n": int(len(y)),
        "test_accuracy": float(np.mean(pred == y)),
        "test_balanced_accuracy": float(np.mean(recalls)),
    }


def _snapshot(records, labels: dict, split, task) -> dict:
    """What the model was trained and tested on: counts and a fingerprint of ids and labels."""
    lines = sorted(
        f"{r.record_id}|{labels[r.record_id]}|{int(r.synthetic)}|{r.lesion_id or ''}"
        for r in records
    )
    synthetic = {r.record_id for r in records if r.synthetic}

    def class_counts(ids):
        counts = Counter(labels[i] for i in ids)
        return {task.classes[c]: counts.get(c, 0) for c in range(task.num_classes)}

    return {
        "fingerprint": hashlib.sha256("\n".join(lines).encode()).hexdigest(),
        "n_real": len(records) - len(synthetic),
        "n_synthetic": len(synthetic),
        "n_train": len(split.train),
        "n_train_synthetic": sum(i in synthetic for i in split.train),
        "n_test": len(split.test),
        "n_excluded_synthetic": len(split.excluded),
        "train_counts": class_counts(split.train),
        "test_counts": class_counts(split.test),
    }


def save_classifier(trained: TrainedClassifier, path_or_file) -> None:
    """One torch.save bundle of plain types and tensors (loadable with weights_only=True)."""
    bundle = {"format": BUNDLE_FORMAT, **dataclasses.asdict(trained)}
    bundle["classes"] = list(trained.classes)
    write_bundle(bundle, path_or_file)


def load_classifier(path_or_file) -> TrainedClassifier:
    """Read a bundle (path, file or bytes) from save_classifier; ValueError if corrupt."""
    what = "PixGen classifier bundle"
    bundle = require_format(
        read_bundle(path_or_file, what=what),
        what=what,
        kinds=(BUNDLE_FORMAT,),
        version=BUNDLE_VERSION,
    )
    names = {f.name for f in dataclasses.fields(TrainedClassifier)}
    missing = names - bundle.keys()
    if missing:
        raise ValueError(f"classifier bundle lacks {', '.join(sorted(missing))}")
    trained = TrainedClassifier(**{k: bundle[k] for k in names})
    trained.classes = tuple(trained.classes)
    try:
        trained.model()
    except (RuntimeError, ValueError, KeyError) as exc:
        raise ValueError(f"classifier bundle weights do not fit its architecture: {exc}") from exc
    return trained
