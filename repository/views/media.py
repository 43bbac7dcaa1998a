"""Image files are served through here, never from a public media URL, so that a pending or
rejected image is never reachable by someone who may not see it."""

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from repository.models import LesionImage

KINDS = ("image", "thumbnail", "mask")


def serve_stored(name: str, *, public: bool) -> FileResponse:
    """Stream one stored file; only public files may be cached by browsers and proxies."""
    if not name or not default_storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400" if public else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def image_file(request, pk: int, kind: str):
    image = get_object_or_404(LesionImage, pk=pk)
    if kind not in KINDS or not image.can_be_seen_by(request.user):
        raise Http404
    return serve_stored(getattr(image, kind).name, public=image.is_public)
