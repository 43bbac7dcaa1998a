from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import generics, permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from repository.api.serializers import CoverageCellOutput, LesionImageInput, LesionImageOutput
from repository.models import LesionImage
from repository.services.coverage import coverage_matrix
from repository.services.ingest import image_ingest
from repository.services.metadata import ImageMetadata
from repository.vocabulary import parse_fitzpatrick

FILTERS = {
    "diagnosis": "diagnosis__code",
    "body_site": "body_site",
    "modality": "modality",
    "sex": "sex",
    "licence": "licence",
    "lesion_identifier": "lesion_identifier",
}


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ImageList(generics.ListAPIView):
    """Public images; filters: diagnosis, fitzpatrick, body_site, modality, sex, licence."""

    serializer_class = LesionImageOutput
    pagination_class = NewestFirst

    def get_queryset(self):
        images = LesionImage.objects.public().select_related("diagnosis", "contributor")
        unknown = (
            set(self.request.query_params) - set(FILTERS) - {"fitzpatrick", "cursor", "page_size"}
        )
        if unknown:
            raise ValidationError({"detail": f"Unknown filter(s): {', '.join(sorted(unknown))}."})
        for name, lookup in FILTERS.items():
            if name in self.request.query_params:
                images = images.filter(**{lookup: self.request.query_params[name]})
        if "fitzpatrick" in self.request.query_params:
            try:
                images = images.filter(
                    fitzpatrick=parse_fitzpatrick(self.request.query_params["fitzpatrick"])
                )
            except ValueError as exc:
                raise ValidationError({"fitzpatrick": str(exc)}) from None
        return images


class ImageDetail(generics.RetrieveAPIView):
    serializer_class = LesionImageOutput

    def get_queryset(self):
        return LesionImage.objects.visible_to(self.request.user).select_related(
            "diagnosis", "contributor"
        )


class ImageUpload(APIView):
    """A verified clinician contributes one image (multipart), with a token or a session."""

    permission_classes = [permissions.IsAuthenticated]

    def post(self, request):
        data = LesionImageInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        upload = values.pop("image")
        try:
            image = image_ingest(
                contributor=request.user, fileobj=upload, metadata=ImageMetadata(**values)
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from None
        return Response(
            LesionImageOutput(image, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class Coverage(APIView):
    def get(self, request):
        cells = [cell for row in coverage_matrix() for cell in row.cells]
        return Response({"cells": CoverageCellOutput(cells, many=True).data})
