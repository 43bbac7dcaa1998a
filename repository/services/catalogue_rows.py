"""Catalogue rows as plain dicts, built from `.values()` so a page of 100 or an export of
100,000 rows costs no model instances. Real and synthetic rows share one set of columns."""

from collections.abc import Iterator

from django.db.models import F, QuerySet

COLUMNS = (
    "uid",
    "origin",
    "id",
    "diagnosis",
    "diagnosis_confirmation",
    "fitzpatrick",
    "monk_tone",
    "modality",
    "body_site",
    "age_bin",
    "sex",
    "licence",
    "lesion_identifier",
    "contributor",
    "request",
    "method",
    "backend",
    "model_version",
    "seed",
    "source_image",
    "width",
    "height",
    "sha256",
    "ita_deg",
    "estimated_fitzpatrick",
    "created_at",
)

_REAL = {
    "id": F("id"),
    "diagnosis": F("diagnosis__code"),
    "diagnosis_confirmation": F("diagnosis_confirmation"),
    "fitzpatrick": F("fitzpatrick"),
    "monk_tone": F("monk_tone"),
    "modality": F("modality"),
    "body_site": F("body_site"),
    "age_bin": F("age_bin"),
    "sex": F("sex"),
    "licence": F("licence"),
    "lesion_identifier": F("lesion_identifier"),
    "contributor": F("contributor__username"),
    "request": F("request_id"),
    "width": F("width"),
    "height": F("height"),
    "sha256": F("sha256"),
    "ita_deg": F("ita_deg"),
    "estimated_fitzpatrick": F("measured_fitzpatrick"),
    "created_at": F("created_at"),
    "_image": F("image"),
    "_thumbnail": F("thumbnail"),
    "_mask": F("mask"),
}

_SYNTHETIC = {
    "id": F("id"),
    "diagnosis": F("diagnosis__code"),
    "fitzpatrick": F("fitzpatrick"),
    "modality": F("source_image__modality"),
    "body_site": F("body_site"),
    "age_bin": F("age_bin"),
    "sex": F("sex"),
    "licence": F("licence"),
    "lesion_identifier": F("source_image__lesion_identifier"),
    "contributor": F("source_image__contributor__username"),
    "method": F("method"),
    "backend": F("backend"),
    "model_version": F("model_version"),
    "seed": F("seed"),
    "source_image": F("source_image_id"),
    "width": F("width"),
    "height": F("height"),
    "sha256": F("sha256"),
    "ita_deg": F("measured_ita"),
    "created_at": F("created_at"),
    "_image": F("image"),
    "_thumbnail": F("thumbnail"),
}

SOURCES = {"real": _REAL, "synthetic": _SYNTHETIC}


def rows(origin: str, queryset: QuerySet) -> Iterator[dict]:
    """Yield one dict per row with every column in COLUMNS (None where it does not apply), plus
    the storage names of its files under `_image`, `_thumbnail` and `_mask` (internal)."""
    spec = SOURCES[origin]
    values = queryset.values(**{f"c_{k}": v for k, v in spec.items()})
    # A page (a sliced query of at most a few thousand rows) is fetched at once; a server-side
    # cursor's DECLARE/FETCH/CLOSE round trips cost more than the rows on PostgreSQL.
    limit = queryset.query.high_mark
    page = limit is not None and limit - queryset.query.low_mark <= 2000
    for raw in values if page else values.iterator(chunk_size=2000):
        row = dict.fromkeys(COLUMNS)
        row["_mask"] = None
        for key in spec:
            row[key] = raw[f"c_{key}"]
        row["origin"] = origin
        row["uid"] = f"{origin}-{row['id']}"
        yield row
