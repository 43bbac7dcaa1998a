from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.forms import MaskUploadForm
from repository.models import LesionImage
from repository.services.analysis import image_mask_replace
from repository.services.gallery import (
    PAGE_SIZE,
    SORTS,
    gallery_chips,
    gallery_facets,
    gallery_neighbours,
    gallery_query,
    gallery_results,
)
from repository.services.ingest import read_limited
from repository.services.moderation import image_withdraw
from repository.services.near_duplicates import near_duplicate_warnings
from repository.validation import messages_by_field
from repository.views.common import apply_errors
from repository.views.tone import tone_context
from synthesis.models import SyntheticImage


def image_list(request):
    """The gallery: the API's filters as facets with counts, chips, sort, search by id."""
    errors = []
    try:
        query = gallery_query(request.GET)
    except ValidationError as exc:
        errors = [f"{_field_name(k)}: {m}" for k, ms in messages_by_field(exc).items() for m in ms]
        query = None
    context = {"errors": errors, "sorts": [(k, v[0]) for k, v in SORTS.items()]}
    if query is not None:
        facets, total = gallery_facets(query)
        results = gallery_results(query, total)
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        start = (page.number - 1) * PAGE_SIZE
        for offset, row in enumerate(page.object_list):
            row["position"] = start + offset
        context.update(
            {
                "query": query,
                "facets": facets,
                "chips": gallery_chips(query, facets),
                "page": page,
                "total": total,
                "filter_query": query.params.urlencode(),
                "result_query": _result_query(request),
                "pager_query": _pager_query(request),
                "origin": query.catalogue.origin,
                "search": request.GET.get("q", ""),
            }
        )
    status = 400 if errors else 200
    return render(request, "repository/image_list.html", context, status=status)


def _field_name(key: str) -> str:
    return _("Filter") if key == "detail" else key.replace("_", " ")


def _result_query(request) -> str:
    """The gallery's query without the page: an image page uses it for previous/next."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _pager_query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def results_navigation(request) -> dict:
    """Previous/next within the gallery results an image page was opened from (?in=…&pos=…)."""
    raw, position = request.GET.get("in"), request.GET.get("pos", "")
    if raw is None or not position.isdigit():
        return {}
    params = QueryDict(raw)
    found = gallery_neighbours(params, int(position))
    if not found:
        return {}
    found["back"] = f"{reverse('image-list')}?{raw}" if raw else reverse("image-list")
    found["in"] = raw
    return {"results_nav": found}


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
        **image_extras(image, request),
        **results_navigation(request),
    }
    context.update(tone_context(request, image))
    return render(request, "repository/image_detail.html", context)


def image_extras(image: LesionImage, request) -> dict:
    """Other public images of the same lesion, the public synthetic images made from this one,
    and the line to cite it by."""
    same_lesion = LesionImage.objects.none()
    if image.lesion_identifier:
        same_lesion = (
            LesionImage.objects.public()
            .filter(contributor_id=image.contributor_id, lesion_identifier=image.lesion_identifier)
            .exclude(pk=image.pk)
            .select_related("diagnosis")[:24]
        )
    derived = SyntheticImage.objects.public().filter(source_image=image)[:24]
    author = image.contributor.get_full_name() or image.contributor.username
    citation = _(
        "%(author)s (%(year)s). PixGen image real-%(id)s: %(dx)s, Fitzpatrick %(type)s. "
        "Licence %(licence)s. %(url)s"
    ) % {
        "author": author,
        "year": image.created_at.year,
        "id": image.pk,
        "dx": image.diagnosis.display_name,
        "type": image.get_fitzpatrick_display(),
        "licence": image.licence,
        "url": request.build_absolute_uri(reverse("image-detail", args=[image.pk])),
    }
    return {"same_lesion": same_lesion, "derived": derived, "citation": citation}


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
