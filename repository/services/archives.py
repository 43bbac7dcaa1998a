"""Archive plumbing shared by exports and releases: open stored files (keeping a build's
heartbeat), drain an archive stream into a temporary file with its SHA-256, save it into
storage, and the site's absolute URLs written into archives."""

import hashlib
import os
import tempfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from repository.exporting.spec import Tally
from synthesis.services.job_harness import JobRun


def site_url(path: str = "/") -> str:
    return settings.PIXGEN_SITE_URL.rstrip("/") + path


def open_stored(name: str):
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError:
        # Say which stored file, never where the server keeps it.
        raise ValidationError(
            _("A file of this archive is missing from storage: %(name)s.") % {"name": name}
        ) from None


def beating_open(run: JobRun):
    """Open stored files for an archive, keeping the build's heartbeat while it reads them."""

    def open_file(name: str):
        run.require()
        return open_stored(name)

    return open_file


def write_archive(stream, folder: str) -> tuple[str, str, int, Tally]:
    """Drain an archive stream into a temporary file: (path, sha256, size, tally)."""
    digest, size = hashlib.sha256(), 0
    fd, path = tempfile.mkstemp(suffix=".zip", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                try:
                    chunk = next(stream)
                except StopIteration as done:
                    tally = done.value
                    break
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path, digest.hexdigest(), size, tally


def save_archive(path: str, name: str) -> str:
    """Copy a finished temporary file into storage; a failed copy leaves nothing behind."""
    saved = ""
    try:
        with open(path, "rb") as fh:
            saved = default_storage.save(name, File(fh, name=os.path.basename(name)))
    except BaseException:
        if default_storage.exists(name):
            default_storage.delete(name)
        raise
    return saved
