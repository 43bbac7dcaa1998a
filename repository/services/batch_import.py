"""Batch import: a metadata CSV (HAM10000's columns plus `fitzpatrick`, or an ISIC Archive
metadata CSV) and its image files. Each row goes through image_ingest on its own, so one bad row
never sinks the batch."""

import csv
import io
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from repository import isic
from repository.models import User
from repository.services.ingest import image_ingest
from repository.services.isic_import import PlannedRow, isic_metadata, isic_plan
from repository.services.metadata import ImageMetadata
from repository.services.near_duplicates import near_duplicate_warnings
from repository.services.permissions import require_verified_clinician
from repository.validation import message_lines
from repository.vocabulary import HAM_DX_TYPE, HAM_LOCALIZATION, age_to_bin

REQUIRED_COLUMNS = ("image_id", "dx", "fitzpatrick")
CSV_FORMATS = ("auto", "ham10000", "isic")
MAX_CSV_BYTES = 5 * 1024 * 1024


@dataclass
class RowResult:
    row: int
    image_id: str
    image_pk: int | None = None
    errors: list[str] = field(default_factory=list)
    # uids of images already in PixGen that this one looks very like
    near_duplicates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.image_pk is not None


@dataclass
class BatchReport:
    rows: list[RowResult]

    @property
    def created(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rows if not r.ok)


# The batch template: HAM10000's columns plus ours, with two example rows that the importer
# accepts as they stand (a test imports it).
TEMPLATE_COLUMNS = (
    "lesion_id",
    "image_id",
    "dx",
    "dx_type",
    "age",
    "sex",
    "localization",
    "fitzpatrick",
    "monk_tone",
)
TEMPLATE_ROWS = (
    ("lesion-0001", "IMG_0001.jpg", "mel", "histo", "45", "female", "back", "V", "8"),
    ("lesion-0001", "IMG_0002.jpg", "mel", "histo", "45", "female", "back", "V", "8"),
)


def batch_csv_template() -> str:
    """The CSV a contributor fills in: header and example rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()


def _csv_text(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError({"csv": _("The CSV is larger than 5 MB.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"csv": _("The CSV must be UTF-8 text.")}) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ValidationError(
            {"csv": _("The CSV contains a NUL character (line %(line)s).") % {"line": line}}
        )
    return text


def read_csv_rows(data: bytes) -> list[dict[str, str]]:
    text = _csv_text(data)
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise ValidationError(
                {"csv": _("The CSV lacks the column(s): %(cols)s.") % {"cols": ", ".join(missing)}}
            )
        rows = [
            {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
            for row in reader
        ]
    except csv.Error as exc:
        raise ValidationError({"csv": _csv_error_message(exc, reader.line_num)}) from None
    if not rows:
        raise ValidationError({"csv": _("The CSV has no rows.")})
    return rows


def _csv_error_message(exc: csv.Error, line: int) -> str:
    if "field larger than field limit" in str(exc):
        return _("A field on line %(line)s is too long (the limit is %(limit)s characters).") % {
            "line": line,
            "limit": f"{csv.field_size_limit():,}",
        }
    return _("The CSV cannot be read at line %(line)s: %(reason)s.") % {
        "line": line,
        "reason": exc,
    }


def _row_metadata(row: dict[str, str], defaults: dict) -> ImageMetadata:
    age = row.get("age", "")
    try:
        age_bin = age_to_bin(float(age)) if age not in ("", "nan", "NaN") else None
    except ValueError:
        raise ValidationError(
            {"age": _("Age %(age)r is not a number from 0 to 130.") % {"age": age}}
        ) from None
    localization = row.get("localization", "").lower() or row.get("body_site", "") or "unknown"
    body_site = HAM_LOCALIZATION.get(localization, localization.replace(" ", "_"))
    dx_type = row.get("dx_type", "").lower()
    confirmation = HAM_DX_TYPE.get(dx_type, dx_type or defaults["diagnosis_confirmation"])
    sex = row.get("sex", "").lower() or "unknown"
    return ImageMetadata(
        diagnosis=row["dx"],
        fitzpatrick=row["fitzpatrick"],
        modality=row.get("modality") or defaults["modality"],
        diagnosis_confirmation=confirmation,
        body_site=body_site,
        licence=row.get("licence") or defaults["licence"],
        consent_attested=defaults["consent_attested"],
        sex=sex,
        age_bin=age_bin,
        monk_tone=row.get("monk_tone") or None,
        lesion_identifier=row.get("lesion_id", ""),
        source_note=row.get("source_note", "") or defaults.get("source_note", ""),
        request=row.get("request") or defaults.get("request"),
    )


def batch_import(
    *,
    contributor: User,
    csv_data: bytes,
    files: dict[str, object],
    modality: str,
    licence: str,
    consent_attested: bool,
    diagnosis_confirmation: str = "clinical",
    source_note: str = "",
    request=None,
    csv_format: str = "auto",
) -> BatchReport:
    """Import every CSV row whose file is among `files` (keyed by file name or stem).
    `csv_format` is "ham10000", "isic" or "auto" (ISIC when its columns say so)."""
    require_verified_clinician(contributor)
    if csv_format not in CSV_FORMATS:
        raise ValidationError({"csv_format": _("The CSV format is ham10000, isic or auto.")})
    text = _csv_text(csv_data)
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        header = []  # read_csv_rows says what is wrong with it
    if csv_format == "isic" or (
        csv_format == "auto" and isic.looks_like_isic([c.strip() for c in header])
    ):
        planned = isic_plan(text)
    else:
        planned = [
            PlannedRow(number, row.get("image_id", ""), row=row)
            for number, row in enumerate(read_csv_rows(csv_data), start=2)  # 1 is the header
        ]
    by_stem = {PurePath(name).stem: f for name, f in files.items()}
    defaults = {
        "modality": modality,
        "licence": licence,
        "consent_attested": consent_attested,
        "diagnosis_confirmation": diagnosis_confirmation,
        "source_note": source_note,
        "request": request,
    }
    results = []
    for plan in planned:
        image_id = plan.image_id
        result = RowResult(row=plan.number, image_id=image_id)
        fileobj = by_stem.get(PurePath(image_id).stem) if image_id else None
        if plan.errors:
            result.errors.extend(plan.errors)
        elif fileobj is None:
            result.errors.append(_("No file named %(id)s was uploaded.") % {"id": image_id or "?"})
        else:
            try:
                metadata = (
                    _row_metadata(plan.row, defaults)
                    if plan.row is not None
                    else isic_metadata(plan.values, defaults)
                )
                image = image_ingest(contributor=contributor, fileobj=fileobj, metadata=metadata)
                result.image_pk = image.pk
                result.near_duplicates = [
                    w.uid for w in near_duplicate_warnings(image=image, user=contributor)
                ]
            except ValidationError as exc:
                result.errors.extend(message_lines(exc))
            except PermissionDenied as exc:
                result.errors.append(str(exc))
        results.append(result)
    return BatchReport(rows=results)
