"""Benchmark skin-tone transfer: latency per backend and share of images landing in the band.

    .venv/bin/python bench/tone_transfer.py [--magenta-handle PATH_OR_URL] [--json out.json]

Single-threaded on purpose: the thread-count variables are set before NumPy (and its BLAS) or
TensorFlow are imported, which is the only point at which they take effect. Latency is the
transfer alone (`measure=False`); "with measurements" adds the skin ITA, contrast and SSIM
readings every TransferResult carries by default. magenta runs only when TensorFlow is
installed and a handle is given (the default handle is a download, which this bench avoids).
"""

import os

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
):
    os.environ[_var] = "1"
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthesis.ml.tone_transfer import StyleTemplate, ToneTarget, get_backend  # noqa: E402

DEMO = ROOT / "repository" / "demo_data"
HAM = Path("/work/shared/data/ham10000-fullres")
TARGETS = (4, 5, 6)


def load_demo() -> list[tuple[str, np.ndarray, np.ndarray]]:
    cases = []
    for path in sorted((DEMO / "images").glob("ISIC_*.jpg")):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        if rgb.shape[:2] != (450, 600):
            continue
        mask = np.asarray(Image.open(DEMO / "masks" / f"{path.stem}.png").convert("L")) > 127
        cases.append((path.stem, rgb, mask))
    return cases


def load_ham() -> list[tuple[str, np.ndarray, np.ndarray]]:
    cases = []
    for path in sorted((HAM / "images").glob("ISIC_*.jpg")):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        mask_path = HAM / "masks" / f"{path.stem}_segmentation.png"
        cases.append((path.stem, rgb, np.asarray(Image.open(mask_path).convert("L")) > 127))
    return cases


def _percentiles(values: list[float]) -> dict[str, float]:
    return {
        "median": round(float(np.median(values)), 2),
        "p95": round(float(np.percentile(values, 95)), 2),
    }


def run(cases, backend_name: str, params: dict) -> dict:
    backend = get_backend(backend_name)
    backend.transfer(cases[0][1], cases[0][2], ToneTarget.for_fitzpatrick(5), **params)  # warm-up
    latency, latency_measured, per_target = [], [], {}
    for skin_type in TARGETS:
        target = ToneTarget.for_fitzpatrick(skin_type)
        hits, ssim, kept, failures = 0, [], [], []
        for image_id, rgb, mask in cases:
            started = time.perf_counter()
            backend.transfer(rgb, mask, target, measure=False, **params)
            latency.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            m = backend.transfer(rgb, mask, target, **params).measurements
            latency_measured.append((time.perf_counter() - started) * 1000)
            hits += m["in_band"]
            ssim.append(m["ssim_luminance"])
            if m["contrast_before"] > 0:
                kept.append(m["contrast_after"] / m["contrast_before"])
            if not m["in_band"]:
                failures.append(f"{image_id}: ITA {m['skin_ita_after']:.1f}")
        per_target[f"type_{skin_type}"] = {
            "in_band": f"{hits}/{len(cases)}",
            "in_band_rate": round(hits / len(cases), 3),
            "ssim_luminance_median": round(float(np.median(ssim)), 3),
            "ssim_luminance_min": round(float(np.min(ssim)), 3),
            "contrast_kept_median": round(float(np.median(kept)), 3) if kept else None,
            "contrast_kept_p5": round(float(np.percentile(kept, 5)), 3) if kept else None,
            "misses": failures[:5],
        }
    return {
        "latency_ms": _percentiles(latency),
        "latency_with_measurements_ms": _percentiles(latency_measured),
        "targets": per_target,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--magenta-handle", help="TF-Hub URL or local SavedModel directory")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()

    backends: dict[str, dict] = {"melanin": {}, "lab-stats": {}}
    have_tf = importlib.util.find_spec("tensorflow_hub") is not None
    skipped = None
    if have_tf and args.magenta_handle:
        backends["magenta"] = {"handle": args.magenta_handle}
    else:
        skipped = "tensorflow_hub not installed" if not have_tf else "no --magenta-handle"

    report: dict = {"threads": 1, "magenta_skipped": skipped, "datasets": {}}
    for name, loader in (("demo-600x450", load_demo), ("ham10000-fullres", load_ham)):
        cases = loader()
        if not cases:
            continue
        report["datasets"][name] = {"images": len(cases)}
        for backend_name, params in backends.items():
            if backend_name == "magenta":
                # The style image: the healthy skin of the first image rendered at type V.
                _, rgb, mask = cases[0]
                dark = get_backend("melanin").transfer(rgb, mask, ToneTarget.for_fitzpatrick(5))
                patch = dark.image[:64, :64]
                params = {**params, "style_template": StyleTemplate.from_patch(patch)}
            result = run(cases, backend_name, params)
            report["datasets"][name][backend_name] = result
            print(f"{name} {backend_name}: {json.dumps(result)}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
