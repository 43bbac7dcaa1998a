"""Dataset exports: the current catalogue filter as a ZIP, streamed when small, built by a
worker when large. Both go through the same archive assembler."""

import datetime as dt
import heapq
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from repository.exporting.archive import archive_stream, member_stem
from repository.exporting.augment import KINDS
from repository.exporting.balance import BalancedSample
from repository.exporting.spec import LAYOUTS, ArchiveSpec
from repository.models import Export, User
from repository.services.archives import (
    beating_open,
    open_stored,
    save_archive,
    site_url,
    write_archive,
)
from repository.services.balanced import balance_options, balanced_selection, only_selected
from repository.services.catalogue import CatalogueQuery, catalogue_query
from repository.services.catalogue_rows import rows
from repository.services.permissions import require_authenticated
from synthesis.services.job_harness import JobRun, job_dispatch, job_run

OPTIONS = ("layout", "augment", "seed", "balance", "synthetic_ratio")
SEED_MAX = 2**31 - 1


def stream_max() -> int:
    return settings.PIXGEN_EXPORT_STREAM_MAX


@dataclass(frozen=True)
class ExportPlan:
    """A validated export request: the filters, the archive options and how many images."""

    params: dict
    query: CatalogueQuery
    layout: str
    augment: tuple[str, ...]
    seed: int
    item_count: int
    balance: int | None = None  # at most this many images per diagnosis × Fitzpatrick cell
    synthetic_ratio: float = 0.0
    sample: BalancedSample | None = None

    @property
    def streams(self) -> bool:
        return self.item_count <= stream_max()

    @property
    def balance_params(self) -> dict:
        if self.balance is None:
            return {}
        return {"balance": str(self.balance), "synthetic_ratio": str(self.synthetic_ratio)}

    def rows(self) -> Iterator[dict]:
        """The rows this export holds, in archive order."""
        rows = catalogue_rows(self.query, layout=self.layout)
        return only_selected(rows, self.sample.selected) if self.sample else rows


def export_options(*, layout: str = "", augment="", seed="") -> tuple[str, tuple[str, ...], int]:
    layout = layout or "flat"
    if layout not in LAYOUTS:
        raise ValidationError({"layout": _("layout is flat or imagefolder.")})
    names = augment.split(",") if isinstance(augment, str) else list(augment)
    names = [n.strip().lower() for n in names if n.strip()]
    bad = sorted(set(names) - set(KINDS))
    if bad:
        raise ValidationError(
            {
                "augment": _("Unknown augmentation(s): %(bad)s. Choose from: %(kinds)s.")
                % {"bad": ", ".join(bad), "kinds": ", ".join(KINDS)}
            }
        )
    try:
        seed = int(seed) if str(seed).strip() != "" else 0
    except ValueError:
        raise ValidationError({"seed": _("%(v)r is not a whole number.") % {"v": seed}}) from None
    if not 0 <= seed <= SEED_MAX:
        raise ValidationError({"seed": _("seed is between 0 and %(max)s.") % {"max": SEED_MAX}})
    return layout, tuple(k for k in KINDS if k in names), seed


def export_plan(*, params) -> ExportPlan:
    """Validate a request's parameters (QueryDict or dict of strings); ValidationError says
    what is wrong. Empty values are dropped, as a web form sends them for unset filters."""
    clean = {k: str(v) for k, v in _items(params) if str(v).strip() != ""}
    layout, augment, seed = export_options(
        layout=clean.get("layout", ""), augment=clean.get("augment", ""), seed=clean.get("seed", "")
    )
    per_cell, ratio = balance_options(
        balance=clean.get("balance", ""), synthetic_ratio=clean.get("synthetic_ratio", "")
    )
    filters = {k: v for k, v in clean.items() if k not in OPTIONS}
    query = catalogue_query(filters)
    if per_cell is None:
        count = sum(qs.count() for qs in query.querysets().values())
        return ExportPlan(filters, query, layout, augment, seed, count)
    sample = balanced_selection(query, per_cell=per_cell, synthetic_ratio=ratio, seed=seed)
    return ExportPlan(
        filters, query, layout, augment, seed, len(sample.selected), per_cell, ratio, sample
    )


def _items(params):
    if hasattr(params, "lists"):
        return [(k, ",".join(v)) for k, v in params.lists()]
    return list(params.items())


def ordered_rows(querysets: dict, *, layout: str) -> Iterator[dict]:
    """Rows of each origin's queryset merged in archive order, streamed from the database."""
    order = ["diagnosis__code", "id"] if layout == "imagefolder" else ["id"]
    streams = [rows(origin, qs.order_by(*order)) for origin, qs in querysets.items()]
    return heapq.merge(*streams, key=lambda row: member_stem(row, layout))


def catalogue_rows(query: CatalogueQuery, *, layout: str) -> Iterator[dict]:
    """Every public row of the query, in archive order."""
    return ordered_rows(query.querysets(), layout=layout)


def source_notes(querysets: dict) -> dict:
    """(licence, contributor) -> the distinct source notes of those images (a few strings)."""
    notes: dict = {}
    real = querysets.get("real")
    if real is not None:
        values = real.values_list("licence", "contributor__username", "source_note")
        for licence, who, note in values.distinct().order_by():
            if note:
                notes.setdefault((licence, who), set()).add(note)
    synthetic = querysets.get("synthetic")
    if synthetic is not None:
        values = synthetic.values_list(
            "licence", "source_image__contributor__username", "source_image__source_note"
        )
        for licence, who, note in values.distinct().order_by():
            if note:
                notes.setdefault((licence, who or ""), set()).add(note)
    return {key: sorted(value) for key, value in notes.items()}


def _spec(
    plan: ExportPlan, *, created_at: dt.datetime, url: str, language: str, file_url=None
) -> ArchiveSpec:
    with translation.override(language):
        title = _("PixGen dataset export")
    return ArchiveSpec(
        title=title,
        language=language,
        created_at=created_at,
        layout=plan.layout,
        augment=plan.augment,
        seed=plan.seed,
        filters=plan.params,
        url=url,
        cite_as="PixGen open dermatology image repository, export of "
        f"{created_at.date().isoformat()} ({url}).",
        source_notes=source_notes(plan.query.querysets()),
        sampling=plan.sample.manifest() if plan.sample else None,
        file_url=file_url,
    )


def describe(query: CatalogueQuery) -> dict:
    """The query's filters as plain strings, for the datasheet."""
    out = {"origin": query.origin} if query.origin != "any" else {}
    for name, value in query.filters.items():
        out[name] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


def export_stream(
    *,
    query: CatalogueQuery,
    layout: str,
    augment,
    seed: int,
    balance: int | None = None,
    synthetic_ratio: float = 0.0,
):
    """(filename, iterator of ZIP bytes, item count) for a small export streamed directly."""
    layout, augment, seed = export_options(layout=layout, augment=augment, seed=seed)
    if balance is None:
        count = sum(qs.count() for qs in query.querysets().values())
        plan = ExportPlan(describe(query), query, layout, augment, seed, count)
    else:
        sample = balanced_selection(
            query, per_cell=balance, synthetic_ratio=synthetic_ratio, seed=seed
        )
        plan = ExportPlan(
            describe(query),
            query,
            layout,
            augment,
            seed,
            len(sample.selected),
            balance,
            synthetic_ratio,
            sample,
        )
    now = timezone.now().replace(microsecond=0)
    language = translation.get_language() or settings.LANGUAGE_CODE
    spec = _spec(plan, created_at=now, url=site_url(reverse("image-list")), language=language)
    stream = archive_stream(rows=plan.rows(), spec=spec, open_file=open_stored)
    return f"pixgen-export-{now:%Y%m%d-%H%M%S}.zip", stream, plan.item_count


def export_create(
    *,
    user: User,
    params,
    layout: str = "",
    augment="",
    seed="",
    balance=None,
    synthetic_ratio=0.0,
) -> Export:
    """Validate and queue an export job for a signed-in user; it is built after commit."""
    require_authenticated(user)
    merged = {k: v for k, v in _items(params) if k not in OPTIONS}
    merged.update(
        {
            "layout": layout,
            "augment": ",".join(augment) if not isinstance(augment, str) else augment,
            "seed": str(seed),
            "balance": "" if balance is None else str(balance),
            "synthetic_ratio": str(synthetic_ratio or ""),
        }
    )
    plan = export_plan(params=merged)
    from repository.tasks import build_export_task

    with transaction.atomic():
        export = Export.objects.create(
            created_by=user,
            params={**plan.params, **plan.balance_params},
            layout=plan.layout,
            augment=list(plan.augment),
            seed=plan.seed,
            item_count=plan.item_count,
        )
        job_dispatch(export, build_export_task)
    return export


def export_build(*, export_id: int) -> Export | None:
    """Build an export's archive into storage. Idempotent: a finished export is left alone."""
    job_run(Export, export_id, _build, what=gettext_noop("export"))
    return Export.objects.filter(pk=export_id).first()


def _build(run: JobRun) -> None:
    export = run.row
    plan = export_plan(
        params={
            **export.params,
            "layout": export.layout,
            "augment": ",".join(export.augment),
            "seed": str(export.seed),
        }
    )
    now = timezone.now().replace(microsecond=0)
    spec = _spec(
        plan,
        created_at=now,
        url=site_url(reverse("export-detail", args=[export.pk])),
        language=export.created_by.language or settings.LANGUAGE_CODE,
        file_url=lambda path: site_url(reverse("export-file", args=[export.pk, path])),
    )
    stream = archive_stream(rows=plan.rows(), spec=spec, open_file=beating_open(run))
    with tempfile.TemporaryDirectory(prefix="pixgen-export-") as folder:
        path, sha256, size, tally = write_archive(stream, folder)
        name = save_archive(path, f"exports/{export.pk}/pixgen-export-{export.pk}.zip")
    done = run.succeed(file=name, sha256=sha256, size=size, item_count=tally.total)
    if not done:  # someone else finished or failed it meanwhile: keep theirs
        default_storage.delete(name)


def exports_for(user: User):
    return Export.objects.visible_to(user)
