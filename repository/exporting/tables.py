"""Metadata tables written beside the images: PixGen's CSV safety rule and the ISIC-layout CSV.
Plain Python, no Django."""

import csv
import io
from collections.abc import Iterable, Iterator

from repository.isic import ISIC_COLUMNS, isic_row

# A spreadsheet runs a cell that starts like a formula; a leading apostrophe keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_line(values: Iterable) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([cell(v) for v in values])
    return out.getvalue()


def isic_csv_lines(rows: Iterable[dict], *, attribution) -> Iterator[str]:
    """The ISIC-layout metadata CSV, line by line. `attribution(row)` gives the credit line;
    each row may carry `file_name` (its path in an archive) and `lesion_key`."""
    yield csv_line(ISIC_COLUMNS)
    for row in rows:
        out = isic_row(row, file_name=row.get("file_name", ""), attribution=attribution(row))
        yield csv_line(out[c] for c in ISIC_COLUMNS)
