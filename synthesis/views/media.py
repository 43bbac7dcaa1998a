"""Synthetic images and template patches are served through here, never from a public URL:
until a dermatologist approves one, only moderators and reviewers may see it."""

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from synthesis.models import StyleTemplate, SyntheticImage
from synthesis.services.permissions import is_synthesis_staff


def _serve(name: str, *, public: bool):
    if not name or not default_storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400" if public else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def synthetic_file(request, pk: int, kind: str):
    synthetic = get_object_or_404(SyntheticImage, pk=pk)
    if kind not in ("image", "thumbnail") or not synthetic.can_be_seen_by(request.user):
        raise Http404
    return _serve(getattr(synthetic, kind).name, public=synthetic.is_public)


def template_patch(request, pk: int):
    template = get_object_or_404(StyleTemplate, pk=pk)
    if not is_synthesis_staff(request.user):
        raise Http404
    return _serve(template.patch.name, public=False)
