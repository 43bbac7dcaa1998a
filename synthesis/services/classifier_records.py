"""Labelled records for the classifiers from the open database: real images, and approved
synthetic images that carry their source's lesion so a lesion never straddles the split."""

import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.core.files.storage import default_storage

from repository.models import Diagnosis, LesionImage
from repository.services.catalogue_rows import rows
from synthesis.ml.classifier.tasks import DX7_CLASSES
from synthesis.models import SyntheticImage


def _lesion_key(row: dict, *, synthetic: bool) -> str:
    """Real images group by contributor + lesion identifier, else by the real image itself."""
    if row["lesion_identifier"]:
        return f"lesion:{row['contributor']}:{row['lesion_identifier']}"
    return f"image:real-{row['source_image'] if synthetic else row['id']}"


@contextmanager
def local_files():
    """Yields fetch(storage name) -> a local path; remote storages are copied to a temp dir."""
    with tempfile.TemporaryDirectory(prefix="pixgen-clf-") as tmp:

        def fetch(name: str) -> str:
            try:
                return default_storage.path(name)
            except NotImplementedError:
                target = Path(tmp) / name.replace("/", "_")
                with default_storage.open(name, "rb") as src:
                    target.write_bytes(src.read())
                return str(target)

        yield fetch


def _record(row, task: str, malignant_codes: set[str], fetch, *, synthetic: bool):
    from synthesis.ml.classifier import LabelledImage  # torch: the worker's, never a page's

    code = row["diagnosis"]
    if code in DX7_CLASSES:
        dx, malignant = code, None
    elif task == "malignancy":
        dx, malignant = None, int(code in malignant_codes)
    else:
        return None  # a diagnosis outside the 7 classes has no dx7 label
    return LabelledImage(
        record_id=row["uid"],
        image=fetch(row["_image"]),
        dx=dx,
        malignant=malignant,
        lesion_id=_lesion_key(row, synthetic=synthetic),
        fitzpatrick=row["fitzpatrick"],
        synthetic=synthetic,
    )


def synthetic_queryset(selection: dict | None):
    """Approved synthetic images of public sources, narrowed by method and model version."""
    queryset = SyntheticImage.objects.public().filter(source_image__isnull=False)
    selection = selection or {}
    if selection.get("methods"):
        queryset = queryset.filter(method__in=selection["methods"])
    if selection.get("model_versions"):
        queryset = queryset.filter(model_version__in=selection["model_versions"])
    return queryset.order_by("pk")


def catalogue_records(
    *, task: str, fetch, synthetic_selection: dict | None = None, with_synthetic: bool = False
) -> tuple[list, list[str]]:
    """(records, skipped uids) from the public catalogue; real first, then synthetic."""
    malignant_codes = set(Diagnosis.objects.filter(malignant=True).values_list("code", flat=True))
    records, skipped = [], []
    sources = [("real", LesionImage.objects.public().order_by("pk"))]
    if with_synthetic:
        sources.append(("synthetic", synthetic_queryset(synthetic_selection)))
    for origin, queryset in sources:
        for row in rows(origin, queryset):
            record = _record(row, task, malignant_codes, fetch, synthetic=origin == "synthetic")
            if record is None:
                skipped.append(row["uid"])
            else:
                records.append(record)
    return records, skipped
