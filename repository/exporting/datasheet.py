"""README.md of an archive: a datasheet saying what is in it, how it was made and its counts."""

import json
import tomllib
from pathlib import Path

from repository.exporting.licences import LICENCE_NAMES
from repository.exporting.spec import ArchiveSpec, Tally
from synthesis.ml.fitzpatrick import ROMAN

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def pixgen_version() -> str:
    try:
        return tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _matrix(tally: Tally) -> list[str]:
    diagnoses = sorted({dx for dx, _f in tally.cells})
    types = sorted({f for _dx, f in tally.cells})
    head = ["diagnosis", *(ROMAN.get(f, "unlabelled") for f in types), "total"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for dx in diagnoses:
        cells = [tally.cells[(dx, f)] for f in types]
        lines.append("| " + " | ".join([dx, *map(str, cells), str(sum(cells))]) + " |")
    totals = [sum(tally.cells[(dx, f)] for dx in diagnoses) for f in types]
    lines.append("| " + " | ".join(["**total**", *map(str, totals), str(tally.total)]) + " |")
    return lines


def readme(*, spec: ArchiveSpec, tally: Tally) -> str:
    layout = {
        "flat": "flat: every image under `images/`.",
        "imagefolder": "one folder per diagnosis, `images/<diagnosis>/` (loads with "
        "`torchvision.datasets.ImageFolder(root='images')`).",
    }[spec.layout]
    lines = [
        f"# {spec.title}",
        "",
        "Dermatology images on darker skin (Fitzpatrick IV-VI) from PixGen, an open repository",
        "where verified clinicians contribute de-identified images and synthetic images are",
        "published only after dermatologist review.",
        "",
        "## What is in it",
        "",
        f"- {tally.total} image(s): {tally.origins['real']} real, "
        f"{tally.origins['synthetic']} synthetic; {tally.masks} lesion mask(s).",
        f"- Layout: {layout}",
        "- `metadata.csv` and `metadata.jsonl`: one row per image (labels, provenance, file",
        "  paths, SHA-256 of each file, augmentation parameters).",
        "- `LICENSES.md`: licences and credit lines, by licence and contributor.",
        "- `croissant.json`: Croissant 1.0 metadata; `SHA256SUMS`: `sha256sum -c SHA256SUMS`.",
        "",
        "**Synthetic images are labelled** (`origin` = `synthetic`, with method, backend, model",
        "version, seed and source image in the metadata) and each was **reviewed and approved by",
        "a dermatologist** before publication. Do not report them as clinical photographs.",
        "",
        "## Counts per diagnosis and Fitzpatrick type",
        "",
        *_matrix(tally),
        "",
        "## How it was made",
        "",
        f"- Created: {spec.created_at.isoformat()} by PixGen {spec.version or pixgen_version()}.",
        "- Real images were de-identified at upload (re-encoded from pixels: no EXIF, GPS or",
        "  other embedded data), checked by a moderator, and published with patient consent",
        "  attested by the contributing clinician. Ages are 5-year bins.",
        "- Only public images are included: pending, rejected and withdrawn images, and",
        "  synthetic images not approved in review (or whose source was withdrawn), are not.",
        f"- Filters: `{json.dumps(spec.filters, sort_keys=True) if spec.filters else 'none'}`.",
    ]
    if spec.augment:
        lines.append(
            f"- Augmentations: {', '.join(spec.augment)} with seed {spec.seed}; the parameters"
            " of each image are in the `augmentation` column (same seed, same files)."
        )
    else:
        lines.append("- Augmentations: none (the stored images, unchanged).")
    lines += ["", "## Licences", ""]
    for licence in tally.licences:
        n = sum(sum(c.values()) for (lic, _c), c in tally.credits.items() if lic == licence)
        lines.append(f"- {LICENCE_NAMES.get(licence, (licence,))[0]} ({licence}): {n} image(s)")
    lines.append("- See `LICENSES.md` for credit lines; some licences forbid commercial use.")
    if spec.release_tag:
        lines += ["", f"## Release {spec.release_tag}", ""]
        if spec.notes:
            lines += [spec.notes, ""]
        lines.append(_withdrawals(spec))
    if spec.cite_as:
        lines += ["", "## How to cite", "", spec.cite_as]
    return "\n".join(lines) + "\n"


def _withdrawals(spec: ArchiveSpec) -> str:
    if not spec.previous_release:
        return "This is the first release."
    if not spec.withdrawn:
        return f"No image of release {spec.previous_release} has been withdrawn since."
    rows = [
        f"Withdrawn since release {spec.previous_release} ({len(spec.withdrawn)}); remove "
        "them from copies of earlier releases:",
        "",
        "| uid | sha256 | why |",
        "|---|---|---|",
    ]
    rows += [f"| {w['uid']} | {w['sha256']} | {w['reason']} |" for w in spec.withdrawn]
    return "\n".join(rows)
