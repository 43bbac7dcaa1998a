"""Skin-tone labels of an image (another rater's, the patient's self-report) and agreement."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from repository.forms import MaskUploadForm, SelfReportForm, ToneLabelForm
from repository.models import LesionImage
from repository.services.tone_labels import (
    tone_agreement_report,
    tone_label_add,
    tone_labels_side_by_side,
    tone_self_report_set,
)
from repository.views.common import apply_errors
from synthesis.ml.skin_tone import METHOD_VERSION

# Lazy: these are read per request, in the reader's language, not once at import.
SOURCE_LABELS = {
    "clinician": gettext_lazy("Contributing clinician"),
    "measured": gettext_lazy("Measured"),
    "self_report": gettext_lazy("Patient self-report"),
    "rater": gettext_lazy("Other raters"),
}


def tone_context(request, image: LesionImage, **forms) -> dict:
    """What the image page needs for its tone section: the labels by source and the forms the
    user may fill (another rater's label; the self-report for the contributor/moderators)."""
    user = request.user
    can_rate = (
        user.is_authenticated
        and image.contributor_id != user.pk
        and (user.is_reviewer or user.is_moderator or user.is_verified_clinician)
    )
    can_self_report = user.is_authenticated and (
        user.is_moderator or image.contributor_id == user.pk
    )
    return {
        "tone_rows": tone_labels_side_by_side(image=image),
        "tone_label_form": forms.get("tone_label_form") or (ToneLabelForm() if can_rate else None),
        "self_report_form": forms.get("self_report_form")
        or (SelfReportForm() if can_self_report else None),
    }


def _detail(request, image, status=200, **forms):
    can_edit_mask = request.user.is_authenticated and (
        request.user.is_moderator or image.contributor_id == request.user.pk
    )
    context = {"image": image, "mask_form": MaskUploadForm() if can_edit_mask else None}
    context.update(tone_context(request, image, **forms))
    return render(request, "repository/image_detail.html", context, status=status)


def _visible_image(request, pk: int) -> LesionImage:
    image = get_object_or_404(LesionImage.objects.select_related("diagnosis", "contributor"), pk=pk)
    if not image.can_be_seen_by(request.user):
        raise Http404
    return image


@login_required
@require_POST
def tone_label(request, pk: int):
    image = _visible_image(request, pk)
    form = ToneLabelForm(request.POST)
    if form.is_valid():
        try:
            tone_label_add(image=image, user=request.user, **form.cleaned_data)
            messages.success(request, _("Your skin-tone label was saved."))
            return redirect("image-detail", pk=pk)
        except (ValidationError, PermissionDenied) as exc:
            apply_errors(form, exc)
    return _detail(request, image, status=400, tone_label_form=form)


@login_required
@require_POST
def self_report(request, pk: int):
    image = _visible_image(request, pk)
    form = SelfReportForm(request.POST)
    if form.is_valid():
        try:
            tone_self_report_set(
                image=image,
                user=request.user,
                answers=form.answers(),
                fitzpatrick=form.cleaned_data["fitzpatrick"],
            )
            messages.success(request, _("The patient's self-report was saved."))
            return redirect("image-detail", pk=pk)
        except (ValidationError, PermissionDenied) as exc:
            apply_errors(form, exc)
    return _detail(request, image, status=400, self_report_form=form)


def agreement_rows(report: dict) -> dict:
    """The report with labels and percentages for the page."""
    rows = []
    for row in report["comparisons"]:
        shown = dict(row)
        shown["left_label"] = SOURCE_LABELS[row["left"]]
        shown["right_label"] = SOURCE_LABELS[row["right"]]
        for key in ("exact", "within_one", "group"):
            shown[f"{key}_pct"] = None if row[key] is None else round(100 * row[key])
        rows.append(shown)
    return {**report, "comparisons": rows}


def agreement_images(user):
    """Moderators see agreement over every image; everyone else over the public ones."""
    if user.is_authenticated and user.is_moderator:
        return LesionImage.objects.all(), True
    return LesionImage.objects.public(), False


def tone_agreement(request):
    images, all_images = agreement_images(request.user)
    report = agreement_rows(tone_agreement_report(images=images))
    return render(
        request,
        "repository/tone_agreement.html",
        {"report": report, "all_images": all_images, "method_version": METHOD_VERSION},
    )
