"""Correcting an image's metadata, and its history for everyone who can see the image."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repository.forms import ImageMetadataFields
from repository.models import LesionImage
from repository.services.metadata_history import EDITABLE, image_metadata_update
from repository.views.common import apply_errors


class MetadataCorrectionForm(ImageMetadataFields):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=gettext_lazy("Why (required once the image is public)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("licence", "request", "consent_attested"):
            del self.fields[name]


def _initial(image: LesionImage) -> dict:
    return {name: getattr(image, name) for name in EDITABLE}


@login_required
def image_metadata(request, pk: int):
    image = get_object_or_404(LesionImage.objects.select_related("diagnosis"), pk=pk)
    if not image.can_be_seen_by(request.user):
        raise Http404
    if not (request.user.is_moderator or image.contributor_id == request.user.pk):
        raise PermissionDenied(_("Only the contributor or a moderator can correct this image."))
    form = MetadataCorrectionForm(request.POST or None, initial=_initial(image))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in EDITABLE}
        try:
            revision = image_metadata_update(
                image=image, user=request.user, changes=changes, reason=data["reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The metadata was corrected; the history keeps both."))
            if revision.sent_back_for_review:
                messages.warning(
                    request,
                    _("%(n)s synthetic image(s) of it went back to dermatologist review.")
                    % {"n": len(revision.sent_back_for_review)},
                )
            return redirect("image-detail", pk=image.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "repository/image_metadata.html", {"image": image, "form": form}, status=status
    )
