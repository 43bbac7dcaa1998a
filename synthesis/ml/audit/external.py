"""Load an external labelled evaluation set: a CSV (image, fitzpatrick, diagnosis/malignant)."""

import csv
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from synthesis.ml.classifier.data import LabelledImage
from synthesis.ml.classifier.tasks import get_task, is_malignant, normalise_dx
from synthesis.ml.fitzpatrick import parse_type_or_group

MAX_ERRORS_SHOWN = 50


def load_eval_csv(csv_path, images_dir, task) -> list[LabelledImage]:
    """Validate every row and image; raise one ValueError listing all problems by row.

    Rows are numbered as in a spreadsheet: the header is row 1, the first image row 2.
    """
    task = get_task(task)
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise ValueError(f"image folder not found: {images_dir}")
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = [h.strip().lower() for h in next(reader, [])]
            rows = [[v.strip() for v in row] for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"cannot read evaluation CSV {csv_path}: {exc}") from exc
    _check_columns(header, task)
    if not any(any(r) for r in rows):
        raise ValueError(f"evaluation CSV {csv_path} has no image rows")

    records, errors, seen = [], [], {}
    for number, values in enumerate(rows, start=2):
        if not any(values):
            continue  # blank line
        if len(values) != len(header):
            errors.append(f"row {number}: has {len(values)} fields, the header {len(header)}")
            continue
        row = dict(zip(header, values, strict=True))
        problems = []
        record = _parse_row(row, number, images_dir, task, seen, problems)
        errors += [f"row {number}: {p}" for p in problems]
        if record is not None and not problems:
            records.append(record)
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        raise ValueError(
            f"evaluation CSV {Path(csv_path).name} has {len(errors)} problem(s):\n  "
            + "\n  ".join(shown)
            + (f"\n  ... and {more} more" if more else "")
        )
    return records


def _check_columns(header: list[str], task) -> None:
    needed = ["image", "fitzpatrick"]
    missing = [c for c in needed if c not in header]
    if task.name == "dx7" and "diagnosis" not in header:
        missing.append("diagnosis")
    if task.name == "malignancy" and not {"diagnosis", "malignant"} & set(header):
        missing.append("diagnosis or malignant")
    if missing:
        raise ValueError(
            f"evaluation CSV lacks column(s) {', '.join(missing)} for the "
            f"{task.name} task; it has: {', '.join(header) or 'no header'}"
        )


def _parse_row(row, number, images_dir, task, seen, problems) -> LabelledImage | None:
    name = row.get("image", "")
    path = None
    if not name:
        problems.append("image name is empty")
    elif Path(name).name != name or name in (".", ".."):
        problems.append(f"image {name!r} must be a plain file name inside the image folder")
    elif name in seen:
        problems.append(f"image {name} already listed on row {seen[name]}")
    else:
        seen[name] = number
        path = images_dir / name
        if not path.is_file():
            problems.append(f"image {name} not found in {images_dir}")
        else:
            try:
                with Image.open(path) as img:
                    img.convert("RGB")  # decodes every pixel, not just the header
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
                problems.append(f"image {name} does not decode: {exc}")

    skin_type = group = None
    try:
        skin_type, group = parse_type_or_group(row.get("fitzpatrick", ""))
    except ValueError as exc:
        problems.append(str(exc))

    dx = malignant = None
    if row.get("diagnosis"):
        try:
            dx = normalise_dx(row["diagnosis"])
        except ValueError as exc:
            problems.append(str(exc))
    if row.get("malignant"):
        if row["malignant"] in ("0", "1"):
            malignant = int(row["malignant"])
        else:
            problems.append(f"malignant must be 0 or 1, got {row['malignant']!r}")
    if dx is not None and malignant is not None and is_malignant(dx) != malignant:
        problems.append(f"diagnosis {dx} contradicts malignant={malignant}")
    if task.name == "dx7" and dx is None and not row.get("diagnosis"):
        problems.append("diagnosis is empty")
    if (
        task.name == "malignancy"
        and dx is None
        and malignant is None
        and not (row.get("diagnosis") or row.get("malignant"))
    ):
        problems.append("needs a diagnosis or a malignant value")
    if problems:
        return None
    return LabelledImage(
        record_id=name,
        image=path,
        dx=dx,
        malignant=malignant,
        fitzpatrick=skin_type,
        fitzpatrick_group=group,
    )
