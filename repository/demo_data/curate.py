"""Rebuild the shipped demo set from ../shared/data (run once by a maintainer, not at run time).

Five images per HAM10000 diagnosis: full-resolution originals where the subset has enough,
the 200x150 set for the rest. Masks are written as {0,255} PNGs the size of their image.
`fitzpatrick` is PixGen's estimate from the ITA of the skin outside the shipped mask.
"""

import csv
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from synthesis.ml.skin_tone import measure_tone  # noqa: E402

PER_DIAGNOSIS = 5
DIAGNOSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def _rows(folder: Path) -> list[dict]:
    with open(folder / "HAM10000_metadata_subset.csv", newline="") as fh:
        return sorted(csv.DictReader(fh), key=lambda r: r["image_id"])


def main(shared: Path, out: Path) -> None:
    full, small = shared / "ham10000-fullres", shared / "ham10000-small"
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    chosen = []
    for dx in DIAGNOSES:
        picks = [(full, r) for r in _rows(full) if r["dx"] == dx][:PER_DIAGNOSIS]
        picks += [(small, r) for r in _rows(small) if r["dx"] == dx][: PER_DIAGNOSIS - len(picks)]
        chosen += picks
    for folder, row in chosen:
        image_id = row["image_id"]
        shutil.copyfile(folder / "images" / f"{image_id}.jpg", out / "images" / f"{image_id}.jpg")
        if folder == full:
            mask = Image.open(folder / "masks" / f"{image_id}_segmentation.png").convert("L")
        else:
            mask = Image.open(folder / "masks_200x150" / f"{image_id}_segmentation.png").convert(
                "L"
            )
        mask = mask.point(lambda v: 255 if v >= 128 else 0)
        mask.save(out / "masks" / f"{image_id}.png")
        row["source"] = "ham10000-fullres" if folder == full else "ham10000-small"
        rgb = np.asarray(Image.open(out / "images" / f"{image_id}.jpg").convert("RGB"))
        tone = measure_tone(rgb, np.asarray(mask) > 0)
        row["fitzpatrick"] = tone.estimated_fitzpatrick
    with open(out / "metadata.csv", "w", newline="") as fh:
        fields = ["lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization"]
        fields += ["source", "fitzpatrick"]
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(r for _, r in chosen)
    print(f"{len(chosen)} images written to {out}")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else root.parents[2] / "shared" / "data", root)
