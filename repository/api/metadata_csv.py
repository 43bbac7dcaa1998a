"""The filtered catalogue's metadata as one CSV, in PixGen's columns or the ISIC Archive's."""

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from repository.api.permissions import CatalogueReadable
from repository.api.views import FILTER_PARAMETERS
from repository.exporting.tables import csv_line, isic_csv_lines
from repository.services.catalogue import catalogue_query
from repository.services.catalogue_rows import COLUMNS
from repository.services.exports import catalogue_rows
from repository.splits import lesion_key

LAYOUTS = ("pixgen", "isic")
PIXGEN_COLUMNS = [*COLUMNS, "lesion_key"]


def _credit(row: dict) -> str:
    who = row.get("contributor") or "PixGen"
    return f"{who} via PixGen ({row.get('licence')})"


def _rows(query):
    for row in catalogue_rows(query, layout="flat"):
        row["lesion_key"] = lesion_key(row)
        yield row


class MetadataCsv(APIView):
    """GET: the metadata of every image the filters select, as CSV (`layout=pixgen`, the
    default, or `layout=isic` for the ISIC Archive's columns and vocabulary)."""

    permission_classes = [CatalogueReadable]

    @extend_schema(
        operation_id="metadata_csv",
        parameters=[OpenApiParameter("layout", str, enum=list(LAYOUTS)), *FILTER_PARAMETERS],
        responses={(200, "text/csv"): bytes},
    )
    def get(self, request):
        layout = request.query_params.get("layout", "pixgen")
        if layout not in LAYOUTS:
            raise ValidationError({"layout": _("layout is pixgen or isic.")})
        query = catalogue_query(request.query_params, extra_control={"layout"})
        if layout == "isic":
            lines = isic_csv_lines(_rows(query), attribution=_credit)
        else:
            header = csv_line(PIXGEN_COLUMNS)
            lines = (
                line
                for part in (
                    [header],
                    (csv_line(r[c] for c in PIXGEN_COLUMNS) for r in _rows(query)),
                )
                for line in part
            )
        response = StreamingHttpResponse(
            (line.encode() for line in lines), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="pixgen-metadata-{layout}.csv"'
        return response
