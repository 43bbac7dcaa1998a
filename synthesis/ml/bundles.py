"""Trained-model bundles on disk, the same for every model family (U-Net, classifier, DCGAN):
a dict of plain types and tensors written with torch.save and read back with
weights_only=True, so loading a file never runs code from it.

    write_bundle({"format": "pixgen-x", "format_version": 1, "state_dict": ...}, path_or_file)
    bundle = require_format(read_bundle(data, what="PixGen x bundle"), what=..., kinds=(...),
                            version=1)
"""

import io
import os
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

import torch

Source = str | os.PathLike | BinaryIO | bytes | bytearray


def write_bundle(bundle: dict, dest: str | os.PathLike | BinaryIO) -> None:
    """torch.save; to a path, write-then-rename so a job killed mid-write leaves the old file."""
    if isinstance(dest, str | os.PathLike):
        tmp = Path(f"{os.fspath(dest)}.tmp")
        torch.save(bundle, tmp)
        os.replace(tmp, dest)
    else:
        torch.save(bundle, dest)


def bundle_bytes(bundle: dict) -> bytes:
    out = io.BytesIO()
    write_bundle(bundle, out)
    return out.getvalue()


def read_bundle(src: Source, *, what: str) -> dict:
    """The dict in a bundle (path, file or bytes); ValueError when it is unreadable or not a
    dict. A missing path stays a FileNotFoundError."""
    if isinstance(src, bytes | bytearray):
        src = io.BytesIO(src)
    try:
        bundle = torch.load(src, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # torch raises many types (UnpicklingError, RuntimeError, EOFError…)
        raise ValueError(f"cannot read this {what}: it is corrupted or not one ({exc})") from exc
    if not isinstance(bundle, dict):
        raise ValueError(f"not a {what}")
    return bundle


def require_format(
    bundle: dict,
    *,
    what: str,
    kinds: Collection[str],
    version: int,
    kind_key: str = "format",
    version_key: str = "format_version",
) -> dict:
    """The bundle itself, once its kind and format version are ones this code reads."""
    if bundle.get(kind_key) not in kinds:
        raise ValueError(f"not a {what}")
    if bundle.get(version_key) != version:
        raise ValueError(f"unsupported {what} version {bundle.get(version_key)!r}")
    return bundle
