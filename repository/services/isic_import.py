"""Rows of an ISIC Archive metadata CSV as PixGen metadata: repository/isic.py reads and checks
them against the isic-metadata vocabulary; this turns what it read into ImageMetadata and its
problems into messages that name the row and the column."""

import csv
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from repository import isic
from repository.services.metadata import ImageMetadata
from repository.vocabulary import age_to_bin


@dataclass
class PlannedRow:
    """One CSV row to import: a HAM10000 row (`row`) or ISIC values (`values`), or errors."""

    number: int
    image_id: str
    row: dict | None = None
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def isic_plan(text: str) -> list[PlannedRow]:
    try:
        rows = isic.read_isic_csv(text)
    except csv.Error as exc:
        raise ValidationError(
            {"csv": _("The CSV cannot be read: %(reason)s.") % {"reason": exc}}
        ) from None
    except isic.IsicCsvError as exc:
        raise ValidationError(
            {
                "csv": [
                    _("Row %(row)s, column %(column)s: %(message)s")
                    % {"row": row, "column": column, "message": message}
                    for row, column, message in exc.problems
                ]
            }
        ) from None
    return [
        PlannedRow(
            number=r.row,
            image_id=r.key,
            values=r.values,
            errors=[
                _("row %(row)s, column %(column)s: %(message)s")
                % {"row": r.row, "column": column, "message": message}
                for column, message in r.errors
            ],
        )
        for r in rows
    ]


def isic_metadata(values: dict, defaults: dict) -> ImageMetadata:
    """The CSV's values, with the form's (or command's) defaults where the CSV is silent."""
    return ImageMetadata(
        diagnosis=values["diagnosis"],
        fitzpatrick=values["fitzpatrick"],
        modality=values.get("modality") or defaults["modality"],
        diagnosis_confirmation=values.get("diagnosis_confirmation")
        or defaults["diagnosis_confirmation"],
        body_site=values.get("body_site") or "unknown",
        licence=values.get("licence") or defaults["licence"],
        consent_attested=defaults["consent_attested"],
        sex=values.get("sex") or "unknown",
        age_bin=age_to_bin(values["age"]) if values.get("age") is not None else None,
        lesion_identifier=values.get("lesion_identifier", ""),
        source_note=values.get("source_note") or defaults.get("source_note", ""),
        request=defaults.get("request"),
    )
