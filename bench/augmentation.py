"""One augmentation experiment on CPU: wall time and peak memory, and its per-group table.

Real images: ../shared/data/ham10000-small (280 HAM10000 images, 40 per diagnosis), with the
Fitzpatrick type that PixGen's own skin-tone measurement gives each image (light skin mostly,
as the data set is). Synthetic images: melanin-model tone transfers of the training lesions to
types IV, V and VI at 100x75 (the bench treats them as approved; made once and cached). The
experiment: ratios 0 and 3, 2 seeds, one split, one schedule, malignancy task.

Run from the project root (niced, one thread unless measuring):
    nice -n 10 .venv/bin/python bench/augmentation.py [--images 280] [--epochs 5]
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared/data/ham10000-small"
# (type, draw) per training image: one more than ratio 3 needs, since a few images have too
# little healthy skin to transfer and give none.
VARIANTS = ((4, 0), (5, 0), (6, 0), (6, 1))
# Transfers run at half the data set's 200x150 (still above the 64 px the classifier trains at):
# a quarter of the pixels, so preparing ~700 images takes minutes on a shared CPU, not an hour.
TRANSFER_SIZE = (100, 75)


def lesion_mask(record_id: str):
    """The data set's lesion mask (soft edges: threshold at 128, as its README says)."""
    import numpy as np
    from PIL import Image

    path = DATA / "masks_200x150" / f"{record_id}_segmentation.png"
    return np.asarray(Image.open(path).convert("L")) >= 128


def measured_types(records, cache: Path) -> dict:
    """record id -> Fitzpatrick type from measure_skin_tone (None: not gradable)."""
    import numpy as np
    from PIL import Image

    from synthesis.ml.skin_tone import measure_skin_tone

    path = cache / "fitzpatrick.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    for i, r in enumerate(records):
        if i % 50 == 0:
            print(f"measuring skin tone {i}/{len(records)}", flush=True)
        if r.record_id not in known:
            rgb = np.asarray(Image.open(r.image).convert("RGB"))
            tone = measure_skin_tone(rgb, lesion_mask=lesion_mask(r.record_id))
            known[r.record_id] = tone.estimated_fitzpatrick
    path.write_text(json.dumps(known))
    return known


def tone_transferred(records, cache: Path, train_ids: set) -> list:
    """Melanin-model transfers of each training image to types IV-VI, cached as PNG."""
    import numpy as np
    from PIL import Image

    from synthesis.ml.classifier import LabelledImage
    from synthesis.ml.tone_transfer import ToneTarget, transfer

    folder = cache / "synthetic"
    folder.mkdir(parents=True, exist_ok=True)
    out, skipped = [], set()
    for i, r in enumerate(records):
        if i % 25 == 0:
            print(f"tone transfer {i}/{len(records)}", flush=True)
        if r.record_id not in train_ids:
            continue  # the runner would exclude them anyway: no work for nothing
        for t, draw in VARIANTS:
            suffix = f"-s{draw}" if draw else ""
            path = folder / f"{r.record_id}-f{t}{suffix}-{TRANSFER_SIZE[0]}.png"
            if not path.exists():
                target = ToneTarget.for_fitzpatrick(t)
                seed = t + 10 * draw
                try:
                    img = Image.open(r.image).convert("RGB").resize(TRANSFER_SIZE)
                    mask = Image.fromarray(lesion_mask(r.record_id)).resize(TRANSFER_SIZE)
                    result = transfer(np.asarray(img), np.asarray(mask), target, seed=seed)
                except ValueError:  # too little healthy skin at this size: try the full image
                    rgb = np.asarray(Image.open(r.image).convert("RGB"))
                    try:
                        result = transfer(rgb, lesion_mask(r.record_id), target, seed=seed)
                    except ValueError:
                        skipped.add(r.record_id)
                        break  # not gradable at all: this image gives no synthetic one
                Image.fromarray(result.image).save(path)
            out.append(
                LabelledImage(
                    f"syn-{r.record_id}-f{t}{suffix}",
                    path,
                    dx=r.dx,
                    lesion_id=r.lesion_id,
                    fitzpatrick=t,
                    synthetic=True,
                )
            )
    if skipped:
        print(f"{len(skipped)} training image(s) too little skin to transfer: none made from them")
    return out


def main() -> None:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=280, help="real images (balanced by dx)")
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--start", choices=("scratch", "self_supervised"), default="scratch")
    parser.add_argument("--cache", default="/tmp/pixgen-bench-augmentation")
    args = parser.parse_args()

    import torch

    from synthesis.ml.classifier import records_from_metadata
    from synthesis.ml.experiment.plan import ExperimentPlan, prepare
    from synthesis.ml.experiment.report import format_table
    from synthesis.ml.experiment.runner import (
        DirectoryStore,
        build_reports,
        eval_description,
        run_experiment,
        starting_point,
    )

    torch.set_num_threads(args.threads)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    real = records_from_metadata(DATA / "HAM10000_metadata_subset.csv", DATA / "images")
    per_dx = max(1, args.images // 7)
    seen: dict = {}
    real = [r for r in real if seen.setdefault(r.dx, []).append(r) or len(seen[r.dx]) <= per_dx]
    t0 = time.perf_counter()
    types = measured_types(real, cache)
    from synthesis.ml.classifier import LabelledImage

    real = [
        LabelledImage(
            r.record_id, r.image, dx=r.dx, lesion_id=r.lesion_id, fitzpatrick=types.get(r.record_id)
        )
        for r in real
    ]
    plan = ExperimentPlan(
        task="malignancy",
        ratios=(0, 3),
        seeds=(0, 1),
        config={
            "arch": args.arch,
            "image_size": args.image_size,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
        },
        start=args.start,
        pretrain_epochs=5,
    )
    split_only = prepare(real, ExperimentPlan(**{**plan.as_dict(), "ratios": (0,), "seeds": (0,)}))
    synthetic = tone_transferred(real, cache, set(split_only.split.train))
    prep_s = time.perf_counter() - t0

    tag = f"{args.images}-{args.arch}-{args.image_size}-{args.epochs}-{args.start}"
    store_dir = cache / f"runs-{tag}"
    started = time.perf_counter()
    prepared = prepare(real + synthetic, plan)
    store = DirectoryStore(store_dir)
    checkpoint, start = starting_point(prepared, store, device="cpu")
    outcome = run_experiment(prepared, store, checkpoint_path=checkpoint, device="cpu")
    train_s = time.perf_counter() - started
    t1 = time.perf_counter()
    reports = build_reports(
        plan,
        store.results(),
        {"held_out": eval_description(prepared.held_out, "malignancy")},
        n_boot=args.n_boot,
    )
    stats_s = time.perf_counter() - t1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(
        f"real={len(real)} synthetic={len(synthetic)} (types IV-VI) "
        f"held-out={len(prepared.held_out)} "
        f"arch={args.arch} size={args.image_size} epochs={args.epochs} threads={args.threads} "
        f"start={start.get('kind')} torch={torch.__version__}"
    )
    print(
        f"runs trained now: {len(outcome.trained)}, reused from {store_dir}: {len(outcome.skipped)}"
    )
    print(
        f"wall: preparation (tone measurement, transfers; cached) {prep_s:.0f}s; experiment "
        f"(4 runs) {train_s:.0f}s; statistics ({args.n_boot} resamples) {stats_s:.1f}s; "
        f"peak RSS {peak_mb:.0f} MB"
    )
    counts = {}
    for r in real:
        counts[r.fitzpatrick] = counts.get(r.fitzpatrick, 0) + 1
    print(f"measured Fitzpatrick types of the real images: {dict(sorted(counts.items(), key=str))}")
    print(format_table(reports["held_out"], metrics=("auc", "balanced_accuracy", "ece")))
    (cache / "report.json").write_text(json.dumps(reports, indent=1))
    print(f"report: {cache / 'report.json'}")


if __name__ == "__main__":
    main()
