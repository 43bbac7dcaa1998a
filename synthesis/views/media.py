"""Synthetic images and template patches are served through here, never from a public URL:
until a dermatologist approves one, only moderators and reviewers may see it."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from repository.views.media import serve_stored
from synthesis.models import StyleTemplate, SyntheticImage
from synthesis.services.permissions import is_synthesis_staff


def synthetic_file(request, pk: int, kind: str):
    synthetic = get_object_or_404(SyntheticImage, pk=pk)
    if kind not in ("image", "thumbnail") or not synthetic.can_be_seen_by(request.user):
        raise Http404
    return serve_stored(getattr(synthetic, kind).name, public=synthetic.is_public)


def template_patch(request, pk: int):
    template = get_object_or_404(StyleTemplate, pk=pk)
    if not is_synthesis_staff(request.user):
        raise Http404
    return serve_stored(template.patch.name, public=False)
