"""The lesion segmenter shipped with the code: a compact U-Net trained on ISIC 2018 Task 1
(see weights/MODEL_CARD.md). Its file is checked against the checksum below before torch
reads it, so a truncated, corrupted or swapped file is a clear error, never odd masks."""

import hashlib
import threading
from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SHIPPED_VERSION = "isic2018-lite128-v4"
SHIPPED_FILE = WEIGHTS_DIR / "isic2018-lite128-v4.pt"
SHIPPED_SHA256 = "9107fdd904d27deb6bff51b9e8a73b23185de056b61bcf6b21b4e9d3988b0846"

_cache: dict[tuple[str, str], object] = {}
_lock = threading.Lock()


class WeightsError(ValueError):
    """The weights file is missing, does not match its checksum, or cannot be read."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_weights(path: Path = SHIPPED_FILE, sha256: str = SHIPPED_SHA256):
    """The TrainedSegmenter in `path` once its SHA-256 is `sha256`; cached per process."""
    key = (str(path), sha256)
    with _lock:
        if key in _cache:
            return _cache[key]
        try:
            actual = file_sha256(path)
        except OSError as exc:
            raise WeightsError(f"cannot read the segmenter weights {path}: {exc}") from None
        if actual != sha256:
            raise WeightsError(
                f"the segmenter weights {path.name} do not match their checksum "
                f"(expected sha256 {sha256}, got {actual}): the file is damaged or was replaced; "
                f"restore it from git (git checkout -- {path.name}) or see MODEL_CARD.md"
            )
        from synthesis.ml.segmentation_training import load_checkpoint

        try:
            trained = load_checkpoint(path.read_bytes())
        except ValueError as exc:
            raise WeightsError(str(exc)) from None
        _cache[key] = trained
        return trained


def load_shipped():
    return load_weights(SHIPPED_FILE, SHIPPED_SHA256)


SHIPPED_BENCH = WEIGHTS_DIR / "isic2018-lite128-v4.bench.json"


def shipped_card() -> dict | None:
    """Headline test/ figures of the shipped model (from bench/segmentation.py --json), or
    None when the file is absent or unreadable."""
    import json

    try:
        report = json.loads(SHIPPED_BENCH.read_text())["isic2018-test"]
        return {
            "images": report["shipped"]["images"],
            "thresholded_jaccard": report["shipped"]["thresholded_jaccard"],
            "below_065_pct": 100 * report["shipped"]["below_065"],
            "classical_thresholded_jaccard": report["classical"]["thresholded_jaccard"],
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None
