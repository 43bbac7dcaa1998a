"""The diagnosis × Fitzpatrick coverage matrix of the open database (a read, kept with the
services so pages and the API share it)."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count

from repository.models import Diagnosis, ImageRequest, LesionImage
from synthesis.ml.fitzpatrick import TYPES, roman
from synthesis.models import SyntheticImage


@dataclass
class Cell:
    diagnosis: Diagnosis
    fitzpatrick: int
    count: int
    open_requests: int
    thin_below: int
    synthetic: int = 0

    @property
    def level(self) -> str:
        if self.count == 0:
            return "empty"
        return "thin" if self.count < self.thin_below else "ok"

    @property
    def roman(self) -> str:
        return roman(self.fitzpatrick)


@dataclass
class CoverageRow:
    diagnosis: Diagnosis
    cells: list[Cell]

    @property
    def total(self) -> int:
        return sum(c.count for c in self.cells)


def coverage_matrix() -> list[CoverageRow]:
    counts = {
        (row["diagnosis"], row["fitzpatrick"]): row["n"]
        for row in LesionImage.objects.public()
        .values("diagnosis", "fitzpatrick")
        .annotate(n=Count("id"))
    }
    synthetic = {
        (row["diagnosis"], row["fitzpatrick"]): row["n"]
        for row in SyntheticImage.objects.public()
        .values("diagnosis", "fitzpatrick")
        .annotate(n=Count("id"))
    }
    requests: dict[tuple[int, int], int] = {}
    for req in ImageRequest.objects.open().only(
        "diagnosis_id", "fitzpatrick_min", "fitzpatrick_max"
    ):
        for t in range(req.fitzpatrick_min, req.fitzpatrick_max + 1):
            key = (req.diagnosis_id, t)
            requests[key] = requests.get(key, 0) + 1
    thin = settings.PIXGEN_COVERAGE_THIN_BELOW
    return [
        CoverageRow(
            diagnosis=dx,
            cells=[
                Cell(
                    dx,
                    t,
                    counts.get((dx.pk, t), 0),
                    requests.get((dx.pk, t), 0),
                    thin,
                    synthetic.get((dx.pk, t), 0),
                )
                for t in TYPES
            ],
        )
        for dx in Diagnosis.objects.active()
    ]


def coverage_summary() -> dict:
    """Totals for the home page: light (I–III) versus darker (IV–VI) skin."""
    public = LesionImage.objects.public()
    total = public.count()
    darker = public.filter(fitzpatrick__gte=4).count()
    return {"total": total, "darker": darker, "lighter": total - darker}
