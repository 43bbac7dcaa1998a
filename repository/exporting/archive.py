"""Assemble an export archive from catalogue rows in one pass, in constant memory.

Members, in this order: images/… (sorted as the rows come; JPEG and PNG carry their licence and
credit as XMP), masks/… (same layout, only where a mask exists), metadata.csv, metadata.jsonl,
metadata.parquet, isic_metadata.csv (the ISIC Archive's layout), any extra files of the spec
(a release's splits.json, datacite.json, CITATION.cff), LICENSES.md, README.md (the datasheet in
the archive's language) and README.<code>.md (in each other language), croissant.json,
manifest.json (every file with its size, SHA-256 and, for stored archives, its own URL) and
SHA256SUMS (of every other member). Per-row outputs are spooled to temporary files, never held
in lists, so memory does not grow with the number of images."""

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from pathlib import PurePosixPath

from repository.exporting import augment
from repository.exporting.croissant import croissant
from repository.exporting.datasheet import pixgen_version, readmes
from repository.exporting.licences import licence_url, licences_md
from repository.exporting.parquet import ParquetTable
from repository.exporting.spec import ArchiveSpec, Tally
from repository.exporting.tables import csv_line
from repository.exporting.xmp import embed_xmp, xmp_packet
from repository.exporting.zip_stream import CHUNK, ZipStream, read_chunks
from repository.isic import ISIC_COLUMNS, isic_row
from repository.services.catalogue_rows import COLUMNS
from repository.splits import lesion_key

METADATA_COLUMNS = [
    "uid",
    "file_name",
    "mask_file_name",
    "file_sha256",
    *(c for c in COLUMNS if c != "uid"),
    "lesion_key",
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


def columns_of(spec: ArchiveSpec) -> list[str]:
    return [*METADATA_COLUMNS, *(c for c in spec.extra_columns if c not in METADATA_COLUMNS)]


def _record(row: dict, columns: list[str], **extra) -> dict:
    record = {"uid": row["uid"], **extra}
    for column in (*COLUMNS, *columns):
        if column != "uid" and column in row:
            record.setdefault(column, row[column])
    record.setdefault("lesion_key", lesion_key(row))
    return {column: record.get(column) for column in columns}


def _json_ready(record: dict) -> dict:
    out = dict(record)
    if out.get("created_at") is not None and hasattr(out["created_at"], "isoformat"):
        out["created_at"] = out["created_at"].isoformat()
    return out


def credit_line(row: dict) -> str:
    who = row.get("contributor")
    if row.get("origin") == "synthetic":
        source = f"from an image contributed by {who} " if who else ""
        return f"Synthetic image made by PixGen {source}(reviewed), licensed {row['licence']}"
    return f"Image contributed by {who or 'PixGen'} to PixGen, licensed {row['licence']}"


def _with_xmp(data: bytes, row: dict, spec: ArchiveSpec) -> bytes:
    packet = xmp_packet(
        identifier=row["uid"],
        licence=row["licence"],
        licence_url=licence_url(row["licence"]) or row["licence"],
        credit=credit_line(row),
        url=spec.url,
    )
    return embed_xmp(data, packet)


def _csv_value(value):
    """A dict as JSON; anything else as it is (text that looks like a formula is guarded by
    csv_line, numbers are not)."""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


def archive_stream(
    *, rows: Iterable[dict], spec: ArchiveSpec, open_file: Callable[[str], object]
) -> Iterator[bytes]:
    """Yield the ZIP's bytes; `open_file(storage_name)` opens a stored file for reading."""
    zs = ZipStream(date_time=spec.created_at.timetuple()[:6])
    tally = Tally()
    columns = columns_of(spec)
    with ExitStack() as stack:
        sums, table, lines, masks, isic = (stack.enter_context(_spool()) for _ in range(5))
        parquet = ParquetTable(columns)
        table.write(csv_line(columns))
        isic.write(csv_line(ISIC_COLUMNS))
        for row in rows:
            tally.count(row)
            size = (row["width"], row["height"])
            params = augment.draw(spec.augment, seed=spec.seed, uid=row["uid"], size=size)
            extension = PurePosixPath(row["_image"]).suffix.lstrip(".").lower()
            with open_file(row["_image"]) as fh:
                data = fh.read()
            if params:
                data, extension, size = augment.apply(data, params, extension=extension)
            name = image_member(row, spec.layout, extension)
            digest = yield from zs.add_bytes(name, _with_xmp(data, row, spec))
            tally.image_formats.add(MIME.get(extension, "application/octet-stream"))
            sums.write(f"{digest}  {name}\n")
            mask_name = ""
            if row.get("_mask"):
                mask_name = f"masks/{member_stem(row, spec.layout)}.png"
                masks.write(json.dumps([mask_name, row["_mask"], params.get("crop")]) + "\n")
                tally.masks += 1
            record = _record(
                row,
                columns,
                file_name=name,
                mask_file_name=mask_name,
                file_sha256=digest,
                width=size[0],
                height=size[1],
                augmentation=params or None,
            )
            table.write(csv_line(_csv_value(record[c]) for c in columns))
            lines.write(json.dumps(_json_ready(record), ensure_ascii=False) + "\n")
            parquet.add(record)
            out = isic_row({**row, **record}, file_name=name, attribution=credit_line(row))
            isic.write(csv_line(out[c] for c in ISIC_COLUMNS))

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
        yield from _add_text(zs, sums, "metadata.parquet", parquet.chunks())
        yield from _add_text(zs, sums, "isic_metadata.csv", _text_chunks(isic))
        for extra_name, extra_data in spec.extra_files:
            yield from _add_text(zs, sums, extra_name, [extra_data])
        text = licences_md(spec=spec, tally=tally).encode()
        yield from _add_text(zs, sums, "LICENSES.md", [text])
        for readme_name, readme_text in readmes(spec=spec, tally=tally):
            yield from _add_text(zs, sums, readme_name, [readme_text.encode()])
        meta = croissant(
            name=spec.title,
            description=_contents_in_english(tally)
            + " Synthetic images are labelled and were reviewed by dermatologists.",
            url=spec.url or "https://pixgen.invalid/",
            version=spec.release_tag or spec.version or pixgen_version(),
            date_published=spec.created_at.isoformat(),
            cite_as=spec.cite_as or spec.title,
            licences=[licence_url(lic) or lic for lic in tally.licences],
            columns=columns,
            metadata_sha256=metadata_sha,
            image_formats=sorted(tally.image_formats),
            has_masks=bool(tally.masks),
        )
        body = json.dumps(meta, indent=2, ensure_ascii=False).encode()
        yield from _add_text(zs, sums, "croissant.json", [body])
        yield from _add_text(zs, sums, "manifest.json", [_manifest(spec, zs, sums)])
        yield from zs.add("SHA256SUMS", _text_chunks(sums))
    yield from zs.finish()
    return tally


def _manifest(spec: ArchiveSpec, zs: ZipStream, sums) -> bytes:
    """Every member written so far with its size, SHA-256 and (stored archives) URL."""
    sums.seek(0)
    files = []
    for line in sums:
        digest, _sep, name = line.rstrip("\n").partition("  ")
        entry = {"path": name, "size": zs.sizes[name], "sha256": digest}
        if spec.file_url is not None:
            entry["url"] = spec.file_url(name)
        files.append(entry)
    sums.seek(0, 2)
    manifest = {
        "title": spec.title,
        "version": spec.release_tag or spec.version or pixgen_version(),
        "created_at": spec.created_at.isoformat(),
        "url": spec.url,
        "layout": spec.layout,
        "augment": {"kinds": list(spec.augment), "seed": spec.seed} if spec.augment else None,
        "sampling": spec.sampling,
        "files": files,
        "note": "SHA256SUMS and this list cover every other member; the archive's own SHA-256 "
        "is given where it is downloaded.",
    }
    return json.dumps(manifest, indent=2, ensure_ascii=False).encode()


def _add_text(zs: ZipStream, sums, name: str, chunks) -> Iterator[bytes]:
    digest = yield from zs.add(name, chunks)
    sums.write(f"{digest}  {name}\n")
    return digest


def _contents_in_english(tally) -> str:
    """Croissant metadata is English whatever the archive's language."""
    from django.utils import translation

    from repository.exporting.datasheet import contents_description

    with translation.override("en"):
        return contents_description(tally)
