from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.forms import ImageFilterForm, MaskUploadForm
from repository.models import LesionImage
from repository.services.analysis import image_mask_replace
from repository.services.ingest import read_limited
from repository.services.moderation import image_withdraw
from repository.services.near_duplicates import near_duplicate_warnings
from repository.views.common import apply_errors
from repository.views.tone import tone_context

PAGE_SIZE = 48


def filtered_public_images(form: ImageFilterForm):
    images = LesionImage.objects.public().select_related("diagnosis")
    if not form.is_valid():
        return images.none()
    data = form.cleaned_data
    if data.get("diagnosis"):
        images = images.filter(diagnosis=data["diagnosis"])
    if data.get("fitzpatrick"):
        images = images.filter(fitzpatrick=data["fitzpatrick"])
    if data.get("body_site"):
        images = images.filter(body_site=data["body_site"])
    if data.get("modality"):
        images = images.filter(modality=data["modality"])
    if data.get("request"):
        images = images.filter(request_id=data["request"])
    return images


def image_list(request):
    form = ImageFilterForm(request.GET or None)
    images = filtered_public_images(form) if request.GET else LesionImage.objects.public()
    page = Paginator(images.select_related("diagnosis"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "repository/image_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "total": page.paginator.count},
    )


def image_detail(request, pk: int):
    image = get_object_or_404(LesionImage.objects.select_related("diagnosis", "contributor"), pk=pk)
    if not image.can_be_seen_by(request.user):
        raise Http404
    can_edit_mask = request.user.is_authenticated and (
        request.user.is_moderator or image.contributor_id == request.user.pk
    )
    near_duplicates = (
        near_duplicate_warnings(image=image, user=request.user) if can_edit_mask else []
    )
    context = {
        "image": image,
        "mask_form": MaskUploadForm() if can_edit_mask else None,
        "near_duplicates": near_duplicates,
    }
    context.update(tone_context(request, image))
    return render(request, "repository/image_detail.html", context)


@login_required
def my_contributions(request):
    images = request.user.contributions.select_related("diagnosis").order_by("-created_at")
    page = Paginator(images, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "repository/my_contributions.html", {"page": page})


@login_required
@require_POST
def withdraw(request, pk: int):
    image = get_object_or_404(LesionImage, pk=pk)
    try:
        image_withdraw(image=image, user=request.user)
        messages.success(request, _("Image #%(id)s was withdrawn.") % {"id": pk})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("my-contributions")


@login_required
@require_POST
def mask_upload(request, pk: int):
    image = get_object_or_404(LesionImage, pk=pk)
    if not image.can_be_seen_by(request.user):
        raise Http404
    form = MaskUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            mask_data = read_limited(
                form.cleaned_data["mask"], max_bytes=settings.PIXGEN_MAX_UPLOAD_BYTES, field="mask"
            )
            image_mask_replace(image=image, user=request.user, mask_data=mask_data)
            messages.success(request, _("The mask was replaced and the skin tone measured again."))
            return redirect("image-detail", pk=pk)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            raise exc
    context = {"image": image, "mask_form": form, **tone_context(request, image)}
    return render(request, "repository/image_detail.html", context, status=400)
