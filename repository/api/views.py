"""The public REST API, version 1. Each view parses input, calls one service or selector, and
renders; errors are 4xx with a message (see errors.py)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from repository.api import serializers as s
from repository.api.files import links, links_base
from repository.api.pagination import catalogue_page
from repository.api.parsers import MultiPartParser
from repository.api.permissions import CatalogueReadable
from repository.models import ImageRequest, LesionImage
from repository.numbers import ascii_whole
from repository.services.catalogue import FILTERS, catalogue_query
from repository.services.catalogue_rows import COLUMNS
from repository.services.coverage import coverage_matrix
from repository.services.ingest import image_ingest
from repository.services.metadata import ImageMetadata
from repository.services.moderation import image_withdraw
from repository.services.near_duplicates import near_duplicate_warnings
from repository.services.requests import request_create
from synthesis.models import SyntheticImage

MAX_PAGE = 1000
OUTPUT_FIELDS = (*COLUMNS, "url", "files")

FILTER_PARAMETERS = [
    OpenApiParameter(name, str, description=f"filter on {name}") for name in FILTERS
]
LIST_PARAMETERS = [
    OpenApiParameter("origin", str, enum=["any", "real", "synthetic"]),
    OpenApiParameter("ordering", str, enum=["-created_at", "created_at"]),
    OpenApiParameter("fields", str, description="comma-separated subset of the row's fields"),
    OpenApiParameter("cursor", str, description="the `next` cursor of the previous page"),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 100},
        description=f"1–{MAX_PAGE}, default 100",
    ),
    *FILTER_PARAMETERS,
]


def _page_size(value: str | None) -> int:
    if value is None:
        return 100
    number = ascii_whole(value)
    if number is None or not 1 <= number <= MAX_PAGE:
        raise ValidationError(
            {"page_size": _("page_size is a whole number from 1 to %(max)s.") % {"max": MAX_PAGE}}
        )
    return number


def _fields(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in OUTPUT_FIELDS]
    if unknown or not names:
        listed = ", ".join(unknown) or "''"
        message = _("Unknown field(s) %(names)s; choose from %(known)s.")
        known = ", ".join(OUTPUT_FIELDS)
        raise ValidationError({"fields": message % {"names": listed, "known": known}})
    return names


class CatalogueList(APIView):
    """Public images, real and approved synthetic (each row says which), newest first."""

    permission_classes = [CatalogueReadable]

    @extend_schema(
        operation_id="images_list", parameters=LIST_PARAMETERS, responses=s.CataloguePageOutput
    )
    def get(self, request):
        params = request.query_params
        query = catalogue_query(params)
        ordering = params.get("ordering", "-created_at")
        if ordering not in ("-created_at", "created_at"):
            raise ValidationError({"ordering": _("ordering is created_at or -created_at.")})
        fields = _fields(params.get("fields"))
        rows, following = catalogue_page(
            query.querysets(),
            cursor=params.get("cursor"),
            size=_page_size(params.get("page_size")),
            descending=ordering.startswith("-"),
        )
        results, base = [], links_base(request)
        for row in rows:
            row.update(links(row, request, base=base))
            results.append({k: row[k] for k in (fields or OUTPUT_FIELDS)})
        next_url = None
        if following:
            query_params = params.copy()
            query_params["cursor"] = following
            next_url = request.build_absolute_uri(f"{request.path}?{query_params.urlencode()}")
        return Response({"next": next_url, "results": results})


class ImageDetail(APIView):
    """One real image with its full metadata and provenance."""

    permission_classes = [CatalogueReadable]

    @extend_schema(operation_id="images_retrieve", responses=s.LesionImageDetailOutput)
    def get(self, request, pk: int):
        image = get_object_or_404(
            LesionImage.objects.visible_to(request.user).select_related("diagnosis", "contributor"),
            pk=pk,
        )
        data = s.LesionImageDetailOutput(image).data
        data.update(links({"origin": "real", "id": image.pk, "_mask": image.mask.name}, request))
        return Response(data)


class SyntheticImageDetail(APIView):
    """One synthetic image with its full provenance; unreviewed ones only for staff."""

    permission_classes = [CatalogueReadable]

    @extend_schema(operation_id="synthetic_images_retrieve", responses=s.SyntheticImageDetailOutput)
    def get(self, request, pk: int):
        visible = SyntheticImage.objects.visible_to(request.user).select_related("diagnosis")
        image = get_object_or_404(visible, pk=pk)
        data = s.SyntheticImageDetailOutput(image).data
        data.update(links({"origin": "synthetic", "id": image.pk}, request))
        return Response(data)


class Contributions(APIView):
    """A contributor's own images (GET), and uploading one image (POST, multipart)."""

    permission_classes = [permissions.IsAuthenticated]
    # A file travels only in multipart/form-data: the schema then says `image` is binary.
    parser_classes = [MultiPartParser]

    @extend_schema(responses=s.ContributionOutput(many=True))
    def get(self, request):
        images = request.user.contributions.select_related("diagnosis").order_by("-created_at")[
            :1000
        ]
        return Response(s.ContributionOutput(images, many=True).data)

    @extend_schema(request=s.LesionImageInput, responses={201: s.ContributionCreatedOutput})
    def post(self, request):
        data = s.LesionImageInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        upload = values.pop("image")
        image = image_ingest(
            contributor=request.user, fileobj=upload, metadata=ImageMetadata(**values)
        )
        image._near_duplicates = [
            {
                "uid": w.uid,
                "url": request.build_absolute_uri(w.url) if w.url else "",
                "fine_distance": w.fine_distance,
            }
            for w in near_duplicate_warnings(image=image, user=request.user)
        ]
        return Response(s.ContributionCreatedOutput(image).data, status=status.HTTP_201_CREATED)


class ContributionWithdraw(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=s.ContributionOutput)
    def post(self, request, pk: int):
        image = get_object_or_404(LesionImage, pk=pk, contributor=request.user)
        return Response(s.ContributionOutput(image_withdraw(image=image, user=request.user)).data)


class Requests(APIView):
    """Open requests by unmet need (GET); post one (POST: verified clinicians, researchers)."""

    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=ImageRequest.Status.values)],
        responses=s.ImageRequestOutput(many=True),
    )
    def get(self, request):
        wanted = request.query_params.get("status", "open")
        if wanted not in ImageRequest.Status.values:
            allowed = ", ".join(ImageRequest.Status.values)
            raise ValidationError(
                {"status": _("status is one of %(allowed)s.") % {"allowed": allowed}}
            )
        requests = ImageRequest.objects.by_unmet_need().filter(status=wanted)
        requests = requests.select_related("diagnosis", "requester")[:500]
        return Response(s.ImageRequestOutput(requests, many=True).data)

    @extend_schema(request=s.ImageRequestInput, responses={201: s.ImageRequestOutput})
    def post(self, request):
        data = s.ImageRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = request_create(requester=request.user, **data.validated_data)
        created = ImageRequest.objects.with_progress().get(pk=created.pk)
        return Response(s.ImageRequestOutput(created).data, status=status.HTTP_201_CREATED)


class RequestDetail(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=s.ImageRequestOutput)
    def get(self, request, pk: int):
        found = get_object_or_404(ImageRequest.objects.with_progress(), pk=pk)
        return Response(s.ImageRequestOutput(found).data)


class Coverage(APIView):
    """Diagnosis × Fitzpatrick counts of the open database; synthetic images counted apart."""

    permission_classes = [CatalogueReadable]

    @extend_schema(responses=s.CoverageCellOutput(many=True))
    def get(self, request):
        cells = [cell for row in coverage_matrix() for cell in row.cells]
        return Response(s.CoverageCellOutput(cells, many=True).data)
