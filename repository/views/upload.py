from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.forms import BatchUploadForm, UploadForm
from repository.services.batch_import import batch_csv_template, batch_import
from repository.services.ingest import image_ingest
from repository.services.metadata import ImageMetadata
from repository.services.near_duplicates import near_duplicate_warnings
from repository.tone_questionnaire import QUESTIONS, TYPE_UPPER_BOUNDS
from repository.views.common import apply_errors
from synthesis.services.suggestion import diagnosis_suggest_for_upload


def _require_contributor(request):
    if not request.user.is_verified_clinician:
        raise PermissionDenied(_("Only verified clinicians may contribute images."))


def _duplicate_of(exc: ValidationError) -> int | None:
    for error in getattr(exc, "error_dict", {}).get("image", []):
        if error.code == "duplicate":
            return (error.params or {}).get("existing")
    return None


def _apply_upload_errors(form, exc: ValidationError) -> None:
    """The service's errors on the form; "already in PixGen" becomes a link to that image."""
    existing = _duplicate_of(exc)
    if existing is None:
        apply_errors(form, exc)
        return
    rest = {k: v for k, v in exc.error_dict.items() if k != "image"}
    if rest:
        apply_errors(form, ValidationError(rest))
    form.add_error(
        "image",
        format_html(
            '{} <a href="{}">{}</a>',
            _("This image is already in PixGen:"),
            reverse("image-detail", args=[existing]),
            _("image #%(id)s") % {"id": existing},
        ),
    )


def _upload_context(form) -> dict:
    return {
        "form": form,
        "monk_range": range(1, 11),
        "questionnaire": QUESTIONS,
        "questionnaire_bounds": ",".join(str(b) for b in TYPE_UPPER_BOUNDS),
    }


@login_required
def upload(request):
    _require_contributor(request)
    initial = {"request": request.GET.get("request")} if request.GET.get("request") else None
    form = UploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        metadata = ImageMetadata(
            diagnosis=data["diagnosis"],
            fitzpatrick=data["fitzpatrick"],
            modality=data["modality"],
            diagnosis_confirmation=data["diagnosis_confirmation"],
            body_site=data["body_site"],
            licence=data["licence"],
            consent_attested=data["consent_attested"],
            sex=data["sex"],
            age_bin=data["age_bin"],
            monk_tone=data["monk_tone"],
            lesion_identifier=data["lesion_identifier"],
            request=data["request"],
        )
        try:
            image = image_ingest(contributor=request.user, fileobj=data["image"], metadata=metadata)
        except ValidationError as exc:
            _apply_upload_errors(form, exc)
        else:
            messages.success(
                request, _("Thank you. Image #%(id)s awaits moderation.") % {"id": image.pk}
            )
            duplicates = near_duplicate_warnings(image=image, user=request.user)
            if duplicates:
                messages.warning(
                    request,
                    _(
                        "It looks very like %(uids)s already in PixGen: see the links under "
                        "“Possible near-duplicates” below."
                    )
                    % {"uids": ", ".join(d.uid for d in duplicates)},
                )
            if request.headers.get("X-Requested-With") == "XMLHttpRequest":
                # The page's progress script loads the next page itself (see upload.html).
                response = HttpResponse(status=200)
                response["X-Upload-Location"] = reverse("image-detail", args=[image.pk])
                return response
            return redirect("image-detail", pk=image.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "repository/upload.html", _upload_context(form), status=status)


def upload_batch_template(request):
    """The batch CSV to fill in, with two example rows."""
    response = HttpResponse(batch_csv_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="pixgen-batch-template.csv"'
    return response


@require_POST
def upload_suggest(request):
    """JSON: a model's diagnosis suggestion for a chosen file. Shown, never stored."""
    try:
        result = diagnosis_suggest_for_upload(user=request.user, fileobj=request.FILES.get("image"))
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse(result)


@login_required
def upload_batch(request):
    _require_contributor(request)
    form = BatchUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = batch_import(
                contributor=request.user,
                csv_data=data["csv"].read(),
                files={f.name: f for f in data["images"]},
                modality=data["modality"],
                licence=data["licence"],
                consent_attested=data["consent_attested"],
                diagnosis_confirmation=data["diagnosis_confirmation"],
                request=data["request"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
    status = 400 if request.method == "POST" and (not form.is_valid() or report is None) else 200
    return render(
        request, "repository/upload_batch.html", {"form": form, "report": report}, status=status
    )
