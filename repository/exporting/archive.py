"""Assemble an export archive from catalogue rows in one pass, in constant memory.

Members, in this order: images/… (sorted as the rows come), masks/… (same layout, only where a
mask exists), metadata.csv, metadata.jsonl, LICENSES.md, README.md, croissant.json and
SHA256SUMS (of every other member). Per-row outputs are spooled to temporary files, never
held in lists, so memory does not grow with the number of images."""

import csv
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from pathlib import PurePosixPath

from repository.exporting import augment
from repository.exporting.croissant import croissant
from repository.exporting.datasheet import pixgen_version, readme
from repository.exporting.licences import licence_url, licences_md
from repository.exporting.spec import ArchiveSpec, Tally
from repository.exporting.zip_stream import CHUNK, ZipStream, read_chunks
from repository.services.catalogue_rows import COLUMNS

METADATA_COLUMNS = [
    "uid",
    "file_name",
    "mask_file_name",
    "file_sha256",
    *(c for c in COLUMNS if c != "uid"),
    "augmentation",
]
MIME = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}
SPOOL_BYTES = 256 * 1024  # per spool, then it moves to a temporary file


def member_stem(row: dict, layout: str) -> str:
    """Where a row's files go, without folder or extension; sorts like the rows."""
    name = f"{row['origin']}-{row['id']:08d}"
    return f"{row['diagnosis']}/{name}" if layout == "imagefolder" else name


def image_member(row: dict, layout: str, extension: str | None = None) -> str:
    extension = extension or PurePosixPath(row["_image"]).suffix.lstrip(".").lower()
    return f"images/{member_stem(row, layout)}.{extension}"


def _spool():
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+", encoding="utf-8")


def _text_chunks(spool) -> Iterator[bytes]:
    spool.seek(0)
    while chunk := spool.read(CHUNK):
        yield chunk.encode("utf-8")


def _record(row: dict, **extra) -> dict:
    record = {"uid": row["uid"], **extra}
    for column in COLUMNS:
        if column != "uid":
            record.setdefault(column, row[column])
    if record.get("created_at") is not None and hasattr(record["created_at"], "isoformat"):
        record["created_at"] = record["created_at"].isoformat()
    return {column: record.get(column) for column in METADATA_COLUMNS}


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def archive_stream(
    *, rows: Iterable[dict], spec: ArchiveSpec, open_file: Callable[[str], object]
) -> Iterator[bytes]:
    """Yield the ZIP's bytes; `open_file(storage_name)` opens a stored file for reading."""
    zs = ZipStream(date_time=spec.created_at.timetuple()[:6])
    tally = Tally()
    with ExitStack() as stack:
        sums, table, lines, masks = (stack.enter_context(_spool()) for _ in range(4))
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(METADATA_COLUMNS)
        for row in rows:
            tally.count(row)
            size = (row["width"], row["height"])
            params = augment.draw(spec.augment, seed=spec.seed, uid=row["uid"], size=size)
            extension = PurePosixPath(row["_image"]).suffix.lstrip(".").lower()
            with open_file(row["_image"]) as fh:
                if params:
                    data, extension, size = augment.apply(fh.read(), params, extension=extension)
                    name = image_member(row, spec.layout, extension)
                    digest = yield from zs.add_bytes(name, data)
                else:
                    name = image_member(row, spec.layout)
                    digest = yield from zs.add(name, read_chunks(fh))
            tally.image_formats.add(MIME.get(extension, "application/octet-stream"))
            sums.write(f"{digest}  {name}\n")
            mask_name = ""
            if row.get("_mask"):
                mask_name = f"masks/{member_stem(row, spec.layout)}.png"
                masks.write(json.dumps([mask_name, row["_mask"], params.get("crop")]) + "\n")
                tally.masks += 1
            record = _record(
                row,
                file_name=name,
                mask_file_name=mask_name,
                file_sha256=digest,
                width=size[0],
                height=size[1],
                augmentation=params or None,
            )
            writer.writerow([_csv_value(record[c]) for c in METADATA_COLUMNS])
            lines.write(json.dumps(record, ensure_ascii=False) + "\n")

        masks.seek(0)
        for line in masks:
            name, stored, crop = json.loads(line)
            with open_file(stored) as fh:
                if crop:
                    data = augment.apply_to_mask(fh.read(), {"crop": crop})
                    digest = yield from zs.add_bytes(name, data)
                else:
                    digest = yield from zs.add(name, read_chunks(fh))
            sums.write(f"{digest}  {name}\n")

        metadata_sha = yield from _add_text(zs, sums, "metadata.csv", _text_chunks(table))
        yield from _add_text(zs, sums, "metadata.jsonl", _text_chunks(lines))
        text = licences_md(spec=spec, tally=tally).encode()
        yield from _add_text(zs, sums, "LICENSES.md", [text])
        yield from _add_text(zs, sums, "README.md", [readme(spec=spec, tally=tally).encode()])
        meta = croissant(
            name=spec.title,
            description="Dermatology images on darker skin (Fitzpatrick IV-VI) from PixGen; "
            "synthetic images are labelled and were reviewed by dermatologists.",
            url=spec.url or "https://pixgen.invalid/",
            version=spec.release_tag or spec.version or pixgen_version(),
            date_published=spec.created_at.isoformat(),
            cite_as=spec.cite_as or spec.title,
            licences=[licence_url(lic) or lic for lic in tally.licences],
            columns=METADATA_COLUMNS,
            metadata_sha256=metadata_sha,
            image_formats=sorted(tally.image_formats),
            has_masks=bool(tally.masks),
        )
        body = json.dumps(meta, indent=2, ensure_ascii=False).encode()
        yield from _add_text(zs, sums, "croissant.json", [body])
        yield from zs.add("SHA256SUMS", _text_chunks(sums))
    yield from zs.finish()
    return tally


def _add_text(zs: ZipStream, sums, name: str, chunks) -> Iterator[bytes]:
    digest = yield from zs.add(name, chunks)
    sums.write(f"{digest}  {name}\n")
    return digest
