"""Stored archives served with HTTP Range support and a stable checksum, so a download that
breaks resumes where it stopped and the client can check what it got."""

import base64
import hashlib

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse

from repository.exporting.zip_stream import CHUNK
from repository.http_range import RangeNotSatisfiable, parse_range


def _part(fh, length: int):
    try:
        while length > 0:
            chunk = fh.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        fh.close()


def _checksum_headers(response, sha256: str) -> None:
    response["Accept-Ranges"] = "bytes"
    if sha256:
        response["ETag"] = f'"{sha256}"'
        # RFC 9530: the digest of the whole file, whatever part this response carries.
        response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode()}:"
        response["X-Checksum-SHA256"] = sha256


def ranged_file_response(
    request,
    *,
    name: str,
    sha256: str,
    filename: str,
    size: int | None = None,
    content_type: str = "application/zip",
    cache: str = "private, max-age=0",
):
    """The whole stored file (200), one byte range of it (206), or 416 for a Range header
    that is malformed or outside the file. `If-Range` with another checksum gets the whole
    file, so a client never splices two versions together."""
    if not name or not default_storage.exists(name):
        raise Http404
    size = size if size is not None else default_storage.size(name)
    header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if header and if_range and if_range.strip() != f'"{sha256}"':
        header = None
    try:
        byte_range = parse_range(header, size)
    except RangeNotSatisfiable as exc:
        response = HttpResponse(str(exc), status=416, content_type="text/plain; charset=utf-8")
        response["Content-Range"] = f"bytes */{size}"
        _checksum_headers(response, sha256)
        return response
    fh = default_storage.open(name, "rb")
    if byte_range is None:
        response = FileResponse(
            fh, as_attachment=True, filename=filename, content_type=content_type
        )
        response["Content-Length"] = str(size)
    else:
        fh.seek(byte_range.start)
        response = StreamingHttpResponse(
            _part(fh, byte_range.length), status=206, content_type=content_type
        )
        response["Content-Range"] = byte_range.content_range(size)
        response["Content-Length"] = str(byte_range.length)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    _checksum_headers(response, sha256)
    response["Cache-Control"] = cache
    return response


def ranged_bytes_response(request, *, data: bytes, filename: str, content_type: str):
    """A small file held in memory (one archive member), with the same Range and checksum
    behaviour as a stored archive."""
    sha256 = hashlib.sha256(data).hexdigest()
    header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if header and if_range and if_range.strip() != f'"{sha256}"':
        header = None
    try:
        byte_range = parse_range(header, len(data))
    except RangeNotSatisfiable as exc:
        response = HttpResponse(str(exc), status=416, content_type="text/plain; charset=utf-8")
        response["Content-Range"] = f"bytes */{len(data)}"
        _checksum_headers(response, sha256)
        return response
    if byte_range is None:
        response = HttpResponse(data, content_type=content_type)
    else:
        part = data[byte_range.start : byte_range.end + 1]
        response = HttpResponse(part, status=206, content_type=content_type)
        response["Content-Range"] = byte_range.content_range(len(data))
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    _checksum_headers(response, sha256)
    return response
