"""Reading and writing synthesis files in the default storage, with clean-up on failure."""

import logging
from pathlib import Path

from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


def read_stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def names_chosen_twice(uploads) -> list[str]:
    """The file names (without any folder) that more than one of the uploads has, sorted."""
    names = [Path(f.name).name for f in uploads]
    return sorted({n for n in names if names.count(n) > 1})


def delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # the original error matters more than a failed clean-up
            logger.exception("could not delete %s after a failure", name)
