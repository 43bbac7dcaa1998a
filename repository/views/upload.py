from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.forms import BatchUploadForm, UploadForm
from repository.services.batch_import import batch_import
from repository.services.ingest import image_ingest
from repository.services.metadata import ImageMetadata
from repository.services.near_duplicates import near_duplicate_warnings
from repository.views.common import apply_errors
from synthesis.services.suggestion import diagnosis_suggest_for_upload


def _require_contributor(request):
    if not request.user.is_verified_clinician:
        raise PermissionDenied(_("Only verified clinicians may contribute images."))


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
            apply_errors(form, exc)
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
            return redirect("image-detail", pk=image.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "repository/upload.html", {"form": form}, status=status)


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
