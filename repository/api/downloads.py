"""Exports and releases through the API: the same services as the image-list download button."""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from repository.api.permissions import CatalogueReadable
from repository.models import Export, Release
from repository.services.catalogue import FILTERS
from repository.services.exports import export_create, export_plan, export_stream, exports_for


class ExportOutput(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()
    error = serializers.CharField(
        source="error_message",
        read_only=True,
        help_text="why it failed, in the request's language (Accept-Language)",
    )
    error_code = serializers.CharField(
        read_only=True, help_text="why it failed, as a stable code (empty: it has not failed)"
    )

    class Meta:
        model = Export
        fields = [
            "id",
            "status",
            "params",
            "layout",
            "augment",
            "seed",
            "item_count",
            "size",
            "sha256",
            "error",
            "error_code",
            "created_at",
            "finished_at",
            "download",
        ]

    def get_download(self, obj) -> str | None:
        if obj.status != Export.Status.SUCCEEDED:
            return None
        return self.context["request"].build_absolute_uri(reverse("export-download", args=[obj.pk]))


class ReleaseOutput(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()
    datacite = serializers.SerializerMethodField(help_text="DataCite 4.5 JSON of this release")
    citation_cff = serializers.SerializerMethodField(help_text="its CITATION.cff")

    class Meta:
        model = Release
        fields = [
            "tag",
            "title",
            "citation",
            "notes",
            "created_at",
            "item_count",
            "counts",
            "withdrawn",
            "sha256",
            "size",
            "download",
            "datacite",
            "citation_cff",
        ]

    def _url(self, name: str, obj) -> str:
        return self.context["request"].build_absolute_uri(reverse(name, args=[obj.tag]))

    def get_download(self, obj) -> str:
        return self._url("release-download", obj)

    def get_datacite(self, obj) -> str:
        return self._url("release-datacite", obj)

    def get_citation_cff(self, obj) -> str:
        return self._url("release-cff", obj)


EXPORT_PARAMETERS = [
    OpenApiParameter("layout", str, enum=["flat", "imagefolder"]),
    OpenApiParameter("augment", str, description="comma-separated: noise, blur, crop, jpeg"),
    OpenApiParameter("seed", int, description="augmentation and balanced-sample seed"),
    OpenApiParameter("balance", int, description="at most this many per diagnosis × Fitzpatrick"),
    OpenApiParameter(
        "synthetic_ratio", float, description="0–1: synthetic share allowed to fill thin cells"
    ),
    OpenApiParameter("origin", str, enum=["any", "real", "synthetic"]),
    *[OpenApiParameter(name, str) for name in FILTERS],
]


class Exports(APIView):
    """GET: a ZIP of the filtered catalogue, streamed when small (up to PIXGEN_EXPORT_STREAM_MAX
    images); larger ones answer 413 and are built by POSTing the same query as a job."""

    permission_classes = [CatalogueReadable]

    @extend_schema(
        operation_id="exports_download",
        parameters=EXPORT_PARAMETERS,
        responses={(200, "application/zip"): bytes, 413: None},
    )
    def get(self, request):
        plan = export_plan(params=request.query_params)
        if not plan.streams:
            return Response(
                {
                    "detail": _(
                        "%(n)s images is a large export: POST the same query to /api/v1/exports/ "
                        "and download it when it is built."
                    )
                    % {"n": plan.item_count}
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
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
        return response

    @extend_schema(
        operation_id="exports_create",
        parameters=EXPORT_PARAMETERS,
        request=None,
        responses={202: ExportOutput},
    )
    def post(self, request):
        if not request.user.is_authenticated:
            return Response(
                {"detail": _("Sign in or send a token to build an export.")},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        plan = export_plan(params=request.query_params)
        export = export_create(
            user=request.user,
            params=plan.params,
            layout=plan.layout,
            augment=plan.augment,
            seed=plan.seed,
            balance=plan.balance,
            synthetic_ratio=plan.synthetic_ratio,
        )
        return Response(
            ExportOutput(export, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class ExportDetail(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="exports_retrieve", responses=ExportOutput)
    def get(self, request, pk: int):
        export = get_object_or_404(exports_for(request.user), pk=pk)
        return Response(ExportOutput(export, context={"request": request}).data)


class Releases(APIView):
    permission_classes = [CatalogueReadable]

    @extend_schema(operation_id="releases_list", responses=ReleaseOutput(many=True))
    def get(self, request):
        releases = Release.objects.filter(status=Release.Status.SUCCEEDED).order_by("-created_at")
        return Response(ReleaseOutput(releases, many=True, context={"request": request}).data)


class ReleaseDetail(APIView):
    permission_classes = [CatalogueReadable]

    @extend_schema(operation_id="releases_retrieve", responses=ReleaseOutput)
    def get(self, request, tag: str):
        release = get_object_or_404(Release, tag=tag, status=Release.Status.SUCCEEDED)
        return Response(ReleaseOutput(release, context={"request": request}).data)
