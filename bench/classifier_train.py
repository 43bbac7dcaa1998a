"""Classifier training on CPU: throughput, time to a trained model, held-out audit by skin type.

Run from the project root: .venv/bin/python bench/classifier_train.py [--data small]
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASETS = {
    "demo": (ROOT / "repository/demo_data/metadata.csv", ROOT / "repository/demo_data/images"),
    "small": (
        ROOT.parent / "shared/data/ham10000-small/HAM10000_metadata_subset.csv",
        ROOT.parent / "shared/data/ham10000-small/images",
    ),
}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import torch

    from synthesis.ml.audit import audit_classifier, format_table
    from synthesis.ml.classifier import ClassifierConfig, records_from_metadata, train_classifier
    from synthesis.ml.classifier.inference import held_out_records, predict_proba

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", choices=sorted(DATASETS), default="demo")
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task", choices=("dx7", "malignancy", "both"), default="both")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    csv_path, images_dir = DATASETS[args.data]
    # No Fitzpatrick column yet: these HAM10000 images are light skin, recorded as type 2.
    records = records_from_metadata(csv_path, images_dir, default_fitzpatrick=2)
    print(
        f"data={args.data} images={len(records)} arch={args.arch} size={args.image_size} "
        f"epochs={args.epochs} batch={args.batch_size} threads={torch.get_num_threads()} "
        f"torch={torch.__version__}"
    )
    # Warm-up (thread pools, oneDNN kernels) so the first timed run is not penalised.
    warm = ClassifierConfig(arch=args.arch, image_size=args.image_size, epochs=1, batch_size=8)
    train_classifier(records[:16], warm, task="malignancy", device="cpu")
    for task in ("dx7", "malignancy") if args.task == "both" else (args.task,):
        config = ClassifierConfig(
            arch=args.arch,
            image_size=args.image_size,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
        )
        started = time.perf_counter()
        trained = train_classifier(records, config, task=task, device="cpu")
        total = time.perf_counter() - started
        m = trained.metrics
        test = held_out_records(trained, records)
        t0 = time.perf_counter()
        predict_proba(trained, test)
        infer = len(test) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        report = audit_classifier(trained, test, n_boot=args.n_boot, seed=args.seed)
        audit_s = time.perf_counter() - t0
        print(f"\n== {task}  ({trained.version})")
        print(
            f"train {m['steps']} steps on {trained.data_snapshot['n_train']} images: "
            f"{m['train_seconds']:.1f}s, {m['train_images_per_second']:.1f} img/s; "
            f"time to trained model (decode + train + test) {total:.1f}s"
        )
        losses = " ".join(f"{h['loss']:.2f}" for h in m["history"])
        print(f"loss by epoch: {losses}")
        print(
            f"inference {infer:.1f} img/s (incl. decode); audit ({args.n_boot} boots) "
            f"{audit_s:.1f}s; held-out n={len(test)}"
        )
        metrics = ("accuracy", "balanced_accuracy", "auc")
        if task == "dx7":
            metrics += ("malignancy_auc",)
        print(format_table(report, metrics=metrics))


if __name__ == "__main__":
    main()
