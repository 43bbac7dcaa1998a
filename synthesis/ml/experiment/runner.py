"""Run an augmentation experiment: every ratio x seed on one split with one schedule, each
run's predictions on the held-out real images (and an external set) kept in a store, so a
cancelled experiment resumes where it stopped and a finished run is never trained twice."""

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from synthesis.ml.classifier.config import ClassifierConfig
from synthesis.ml.classifier.tasks import DX7_CLASSES, MALIGNANT_DX, get_task
from synthesis.ml.experiment.plan import Prepared, ratio_key, run_key, training_records
from synthesis.ml.experiment.report import experiment_report


class RunStore(Protocol):
    def completed(self) -> set[str]: ...

    def save(self, key: str, result: dict, trained) -> None: ...

    def results(self) -> dict[str, dict]: ...

    def load_start(self) -> tuple[str, dict] | None: ...

    def save_start(self, state: dict, record: dict) -> str: ...


class DirectoryStore:
    """One JSON file per finished run (written whole, then renamed) and optionally its weights."""

    def __init__(self, folder, *, keep_weights: bool = False):
        self.folder = Path(folder) / "runs"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.keep_weights = keep_weights

    def completed(self) -> set[str]:
        return {p.stem for p in self.folder.glob("*.json")}

    def save(self, key: str, result: dict, trained) -> None:
        if self.keep_weights:
            from synthesis.ml.classifier import save_classifier

            save_classifier(trained, self.folder / f"{key}.pt")
        tmp = self.folder / f".{key}.json.tmp"
        tmp.write_text(json.dumps(result))
        os.replace(tmp, self.folder / f"{key}.json")

    def results(self) -> dict[str, dict]:
        return {p.stem: json.loads(p.read_text()) for p in sorted(self.folder.glob("*.json"))}

    def load_start(self) -> tuple[str, dict] | None:
        weights, meta = self.folder.parent / "pretrained.pt", self.folder.parent / "pretrained.json"
        if weights.is_file() and meta.is_file():
            return str(weights), json.loads(meta.read_text())
        return None

    def save_start(self, state: dict, record: dict) -> str:
        from synthesis.ml.bundles import write_bundle

        weights, meta = self.folder.parent / "pretrained.pt", self.folder.parent / "pretrained.json"
        write_bundle(state, weights)  # written whole, then renamed
        meta.write_text(json.dumps(record))
        return str(weights)


@dataclass
class Outcome:
    trained: list[str]
    skipped: list[str]
    cancelled: bool


def run_config(prepared: Prepared, seed: int, checkpoint_path: str | None) -> ClassifierConfig:
    plan = prepared.plan
    return ClassifierConfig.from_dict(
        {
            **plan.config,
            "seed": seed,
            "test_fraction": plan.test_fraction,
            "checkpoint_path": checkpoint_path,
        }
    )


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def starting_point(
    prepared: Prepared, store: RunStore, *, device=None, should_stop=None, progress=None
) -> tuple[str | None, dict | None]:
    """(checkpoint path or None, what the runs start from); (None, None) if stopped.

    Self-supervised pre-training runs once per experiment on the split's real training images
    (never the held-out ones, even without labels) and is reused when the experiment resumes."""
    plan = prepared.plan
    if plan.start == "scratch":
        return None, {"kind": "scratch"}
    if plan.start == "checkpoint":
        return plan.checkpoint_path, {
            "kind": "checkpoint",
            "path": str(plan.checkpoint_path),
            "sha256": file_sha256(plan.checkpoint_path),
        }
    found = store.load_start()
    if found is not None:
        return found
    from synthesis.ml.classifier.data import load_images
    from synthesis.ml.experiment.pretrain import pretrain_simclr

    config = run_config(prepared, plan.split_seed, None)
    train_ids = set(prepared.split.train)
    images = load_images(
        [r for r in prepared.records if r.record_id in train_ids and not r.synthetic],
        config.image_size,
    )
    state, record = pretrain_simclr(
        images,
        arch=config.arch,
        epochs=plan.pretrain_epochs,
        batch_size=config.batch_size,
        seed=plan.split_seed,
        device=device,
        should_stop=should_stop,
        progress=progress,
    )
    if record["stopped_early"]:
        return None, None
    return store.save_start(state, record), record


def run_experiment(
    prepared: Prepared,
    store: RunStore,
    *,
    checkpoint_path: str | None = None,
    device=None,
    should_stop=None,
    progress=None,
) -> Outcome:
    """Train what the store lacks. A run stopped part-way is dropped, never stored."""
    from synthesis.ml.classifier.data import load_images
    from synthesis.ml.classifier.inference import predict_tensor
    from synthesis.ml.classifier.training import train_classifier

    plan = prepared.plan
    done = store.completed()
    runs = plan.runs()
    trained, skipped = [], []
    size = run_config(prepared, plan.seeds[0], None).image_size
    held_x = load_images(prepared.held_out, size)
    external_x = load_images(prepared.external, size) if prepared.external else None
    for number, (ratio, seed) in enumerate(runs, start=1):
        key = run_key(ratio, seed)
        if key in done:
            skipped.append(key)
            continue
        if should_stop is not None and should_stop():
            return Outcome(trained, skipped, cancelled=True)
        records = training_records(prepared, ratio, seed)
        config = run_config(prepared, seed, checkpoint_path)

        def epoch_done(record, ratio=ratio, seed=seed, number=number):
            if progress is not None:
                progress({**record, "run": number, "runs": len(runs), "ratio": ratio, "seed": seed})

        started = time.perf_counter()
        model = train_classifier(
            records,
            config,
            task=plan.task,
            device=device,
            progress=epoch_done,
            should_stop=should_stop,
            split_seed=plan.split_seed,
        )
        if model.metrics.get("stopped_early"):
            return Outcome(trained, skipped, cancelled=True)
        if model.split["test"] != list(prepared.split.test):
            raise RuntimeError(f"run {key} met a different test split; refusing to pair it")
        net = model.model()
        snapshot = model.data_snapshot
        result = {
            "key": key,
            "ratio": ratio,
            "seed": seed,
            "version": model.version,
            "n_train_real": snapshot["n_train"] - snapshot["n_train_synthetic"],
            "n_train_synthetic": snapshot["n_train_synthetic"],
            "seconds": time.perf_counter() - started,
            "metrics": {k: v for k, v in model.metrics.items() if k != "history"},
            "held_out": predict_tensor(net, held_x, device=device).round(6).tolist(),
            "external": (
                predict_tensor(net, external_x, device=device).round(6).tolist()
                if external_x is not None
                else None
            ),
        }
        store.save(key, result, model)
        trained.append(key)
    return Outcome(trained, skipped, cancelled=False)


def malignant_columns(task) -> list[int]:
    task = get_task(task)
    if task.name == "malignancy":
        return [1]
    return [DX7_CLASSES.index(d) for d in sorted(MALIGNANT_DX)]


def eval_description(records, task) -> dict:
    """What a report was computed on: ids, labels and skin types, in prediction order."""
    task = get_task(task)
    return {
        "ids": [r.record_id for r in records],
        "labels": [r.label(task) for r in records],
        "fitzpatrick": [
            r.fitzpatrick if r.fitzpatrick is not None else r.fitzpatrick_group for r in records
        ],
    }


def build_reports(plan, results: dict, eval_sets: dict, **options) -> dict:
    """{set name: report} from the stored runs; every ratio x seed of the plan must be there."""
    missing = [run_key(r, s) for r, s in plan.runs() if run_key(r, s) not in results]
    if missing:
        raise ValueError(f"{len(missing)} run(s) not finished: {', '.join(missing[:5])}")
    reports = {}
    for name, described in eval_sets.items():
        if described is None:
            continue
        predictions = {
            r: {s: results[run_key(r, s)][name] for s in plan.seeds} for r in plan.ratios
        }
        report = experiment_report(
            labels=described["labels"],
            fitzpatrick=described["fitzpatrick"],
            predictions=predictions,
            malignant_columns=malignant_columns(plan.task),
            **options,
        )
        report["set"] = name
        report["task"] = plan.task
        report["runs"] = {
            ratio_key(r): {
                "n_train_synthetic": [
                    results[run_key(r, s)]["n_train_synthetic"] for s in plan.seeds
                ],
                "n_train_real": results[run_key(r, plan.seeds[0])]["n_train_real"],
            }
            for r in plan.ratios
        }
        reports[name] = report
    return reports
