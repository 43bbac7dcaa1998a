"""The download of the current image-list filter: streamed when small, a job when large."""

import mimetypes
import zipfile
from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.models import Export
from repository.services.exports import export_create, export_plan, export_stream
from repository.validation import messages_by_field
from repository.views.ranged import ranged_bytes_response, ranged_file_response


def _error(request, exc: ValidationError):
    errors = messages_by_field(exc, general="")
    return render(
        request,
        "repository/export_error.html",
        {"errors": errors, "back": reverse("image-list")},
        status=400,
    )


@require_POST
def export_start(request):
    params = request.POST.copy()
    params.pop("csrfmiddlewaretoken", None)
    try:
        plan = export_plan(params=params)
    except ValidationError as exc:
        return _error(request, exc)
    if plan.streams:
        filename, stream, _count = export_stream(
            query=plan.query,
            layout=plan.layout,
            augment=plan.augment,
            seed=plan.seed,
            balance=plan.balance,
            synthetic_ratio=plan.synthetic_ratio,
        )
        response = StreamingHttpResponse(stream, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response
    if not request.user.is_authenticated:
        messages.info(
            request,
            _("%(n)s images is a large export: sign in and it will be built for you.")
            % {"n": plan.item_count},
        )
        return redirect_to_login(reverse("image-list") + "?" + params.urlencode())
    export = export_create(
        user=request.user,
        params=plan.params,
        layout=plan.layout,
        augment=plan.augment,
        seed=plan.seed,
        balance=plan.balance,
        synthetic_ratio=plan.synthetic_ratio,
    )
    messages.success(request, _("Your export is being built; this page shows when it is ready."))
    return redirect("export-detail", pk=export.pk)


def _own_export(request, pk: int) -> Export:
    return get_object_or_404(Export.objects.visible_to(request.user), pk=pk)


@login_required
def export_detail(request, pk: int):
    export = _own_export(request, pk)
    response = render(request, "repository/export_detail.html", {"export": export})
    if not export.is_done:
        response["Refresh"] = "5"
    return response


@login_required
def export_list(request):
    exports = Export.objects.visible_to(request.user)[:50]
    return render(request, "repository/export_list.html", {"exports": exports})


@login_required
def export_file(request, pk: int, path: str):
    """One file of a built export, read from its stored archive (manifest.json's URLs)."""
    export = _own_export(request, pk)
    if export.status != Export.Status.SUCCEEDED or not export.file:
        raise Http404
    try:
        with default_storage.open(export.file.name, "rb") as fh, zipfile.ZipFile(fh) as zf:
            data = zf.read(path)
    except (KeyError, FileNotFoundError, zipfile.BadZipFile):
        raise Http404 from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return ranged_bytes_response(
        request, data=data, filename=PurePosixPath(path).name, content_type=content_type
    )


@login_required
def export_download(request, pk: int):
    export = _own_export(request, pk)
    if export.status != Export.Status.SUCCEEDED:
        raise Http404
    return ranged_file_response(
        request,
        name=export.file.name,
        sha256=export.sha256,
        size=export.size,
        filename=f"pixgen-export-{export.pk}.zip",
    )
