"""Releases: everyone can list, read and download them; moderators cut them."""

import mimetypes
import zipfile
from pathlib import PurePosixPath

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from repository.models import Diagnosis, Release
from repository.services.release_citation import (
    release_bibtex,
    release_citation_cff,
    release_datacite_json,
)
from repository.services.releases import release_cut, release_rebuild
from repository.views.common import apply_errors
from repository.views.ranged import ranged_bytes_response, ranged_file_response


class ReleaseForm(forms.Form):
    tag = forms.CharField(
        max_length=16, label=gettext_lazy("Tag"), help_text=gettext_lazy("e.g. 2026.11")
    )
    title = forms.CharField(max_length=200, label=gettext_lazy("Title"))
    citation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=gettext_lazy("Citation"),
        help_text=gettext_lazy("Left empty, PixGen writes one."),
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=gettext_lazy("Notes")
    )


def release_list(request):
    releases = Release.objects.all()
    if not (request.user.is_authenticated and request.user.is_moderator):
        releases = releases.filter(status=Release.Status.SUCCEEDED)
    return render(request, "repository/release_list.html", {"releases": releases})


def _visible(request, tag: str) -> Release:
    release = get_object_or_404(Release.objects.select_related("previous"), tag=tag)
    moderator = request.user.is_authenticated and request.user.is_moderator
    if not (release.is_published or moderator):
        raise Http404
    return release


def release_detail(request, tag: str):
    release = _visible(request, tag)
    counts = release.counts.get("by_diagnosis_fitzpatrick", {})
    types = sorted({int(f) for row in counts.values() for f in row})
    names = {d.code: d.display_name for d in Diagnosis.objects.filter(code__in=list(counts))}
    table = [
        (names.get(dx, dx), [row.get(str(f), 0) for f in types], sum(row.values()))
        for dx, row in sorted(counts.items())
    ]
    response = render(
        request,
        "repository/release_detail.html",
        {
            "release": release,
            "types": types,
            "table": table,
            "bibtex": release_bibtex(release) if release.is_published else "",
        },
    )
    if release.status in (Release.Status.QUEUED, Release.Status.RUNNING):
        response["Refresh"] = "5"
    return response


def release_download(request, tag: str):
    """The release archive; byte ranges resume a broken download (the bytes never change)."""
    release = _visible(request, tag)
    if not release.is_published:
        raise Http404
    return ranged_file_response(
        request,
        name=release.file.name,
        sha256=release.sha256,
        size=release.size,
        filename=f"pixgen-{release.tag}.zip",
        cache="public, max-age=86400",
    )


def release_file(request, tag: str, path: str):
    """One file of a release, read from its stored archive: what manifest.json's URLs point at,
    so a client can fetch (and resume) file by file."""
    release = _visible(request, tag)
    if not release.is_published or not release.file:
        raise Http404
    try:
        with default_storage.open(release.file.name, "rb") as fh, zipfile.ZipFile(fh) as zf:
            data = zf.read(path)
    except (KeyError, FileNotFoundError, zipfile.BadZipFile):
        raise Http404 from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return ranged_bytes_response(
        request, data=data, filename=PurePosixPath(path).name, content_type=content_type
    )


def release_datacite(request, tag: str):
    """DataCite 4.5 metadata of the release (schema-valid JSON), ready to register a DOI."""
    release = _visible(request, tag)
    response = HttpResponse(
        release_datacite_json(release), content_type="application/vnd.datacite.datacite+json"
    )
    response["Content-Disposition"] = f'inline; filename="pixgen-{release.tag}-datacite.json"'
    return response


def release_cff(request, tag: str):
    """CITATION.cff (Citation File Format 1.2.0) of the release."""
    release = _visible(request, tag)
    response = HttpResponse(release_citation_cff(release), content_type="text/yaml; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="CITATION.cff"'
    return response


def release_bib(request, tag: str):
    """The release as a BibTeX entry."""
    release = _visible(request, tag)
    response = HttpResponse(
        release_bibtex(release), content_type="application/x-bibtex; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="pixgen-{release.tag}.bib"'
    return response


@login_required
def release_new(request):
    if not request.user.is_moderator:
        raise PermissionDenied(_("This needs the moderator role."))
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            release = release_cut(moderator=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Release %(tag)s was cut; its archive is being built.") % {"tag": release.tag},
            )
            return redirect("release-detail", tag=release.tag)
    status = 400 if request.method == "POST" else 200
    return render(request, "repository/release_form.html", {"form": form}, status=status)


@login_required
@require_POST
def release_retry(request, tag: str):
    release = get_object_or_404(Release, tag=tag)
    try:
        release_rebuild(moderator=request.user, release=release)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("release-detail", tag=release.tag)
