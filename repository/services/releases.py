"""Releases: a moderator cuts an immutable, citable snapshot of the open database. Its items
are frozen at the cut; a worker builds its archive once, deterministically (timestamps are the
cut's time, members sorted), and every later download serves those same bytes."""

import datetime as dt
import tempfile
from collections import Counter

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from repository.exporting.archive import archive_stream, image_member
from repository.exporting.spec import ArchiveSpec
from repository.job_errors import JobError
from repository.models import LesionImage, Release, ReleaseItem, User
from repository.services.archives import (
    beating_open,
    open_stored,
    save_archive,
    site_url,
    write_archive,
)
from repository.services.catalogue import CatalogueQuery
from repository.services.exports import catalogue_rows, ordered_rows, source_notes
from repository.services.permissions import require_moderator
from repository.services.release_checks import (
    SPLIT_COLUMNS,
    annotate_splits,
    release_leakage,
    release_splits,
    splits_summary,
)
from repository.services.release_citation import release_citation_cff, release_datacite_json
from synthesis.models import SyntheticImage
from synthesis.services.job_harness import JobRun, job_dispatch, job_requeue, job_run

LAYOUT = "imagefolder"  # a release loads straight into torchvision's ImageFolder
BATCH = 1000


def _freeze(release: Release) -> dict:
    """Write the release's items from the current public catalogue; returns the counts."""
    origins, cells, batch = Counter(), Counter(), []
    for row in catalogue_rows(CatalogueQuery(), layout=LAYOUT):
        origins[row["origin"]] += 1
        cells[f"{row['diagnosis']}|{row['fitzpatrick'] or 0}"] += 1
        batch.append(
            ReleaseItem(
                release=release,
                origin=row["origin"],
                object_id=row["id"],
                uid=row["uid"],
                sha256=row["sha256"],
                path=image_member(row, LAYOUT),
            )
        )
        if len(batch) >= BATCH:
            ReleaseItem.objects.bulk_create(batch)
            batch.clear()
    ReleaseItem.objects.bulk_create(batch)
    matrix: dict = {}
    for key, n in sorted(cells.items()):
        dx, fitz = key.split("|")
        matrix.setdefault(dx, {})[fitz] = n
    return {
        "total": sum(origins.values()),
        "real": origins["real"],
        "synthetic": origins["synthetic"],
        "by_diagnosis_fitzpatrick": matrix,
    }


def _withdrawn_since(previous: Release, release: Release) -> list[dict]:
    """Items of the previous release that are not in this one, with why they left."""
    gone = ReleaseItem.objects.filter(release=previous).exclude(
        uid__in=Subquery(ReleaseItem.objects.filter(release=release).values("uid"))
    )
    out = []
    for item in gone.order_by("uid").iterator():
        if item.origin == "real":
            status = (
                LesionImage.objects.filter(pk=item.object_id)
                .values_list("status", flat=True)
                .first()
            )
        else:
            status = (
                SyntheticImage.objects.filter(pk=item.object_id)
                .values_list("status", flat=True)
                .first()
            )
            if status == SyntheticImage.Status.APPROVED:
                status = "source withdrawn"
        out.append({"uid": item.uid, "sha256": item.sha256, "reason": status or "deleted"})
    return out


def release_cut(
    *, moderator: User, tag: str, title: str, citation: str = "", notes: str = ""
) -> Release:
    """Freeze the public catalogue as release `tag` and queue its archive after commit."""
    require_moderator(moderator)
    tag, title = (tag or "").strip(), (title or "").strip()
    now = timezone.now().replace(microsecond=0)
    # ZIP timestamps have a resolution of two seconds: an even second reads the same in both.
    now -= dt.timedelta(seconds=now.second % 2)
    release = Release(
        tag=tag,
        title=title,
        citation=(citation or "").strip(),
        notes=(notes or "").strip(),
        created_by=moderator,
        created_at=now,
    )
    release.full_clean(exclude=["previous", "created_by"])
    if not release.citation:
        release.citation = _(
            "PixGen open dermatology image repository, release %(tag)s (%(date)s). %(url)s"
        ) % {
            "tag": tag,
            "date": release.created_at.date().isoformat(),
            "url": site_url(reverse("release-detail", args=[tag])),
        }

    try:
        with transaction.atomic():
            release = _cut(release)
    except IntegrityError:
        raise ValidationError(
            {"tag": _("Release %(tag)s already exists.") % {"tag": tag}}
        ) from None
    return release


def _cut(release: Release) -> Release:
    from repository.tasks import build_release_task

    release.previous = Release.objects.order_by("-created_at", "-id").first()
    release.save()
    release.counts = _freeze(release)
    release.item_count = release.counts["total"]
    if release.previous is not None:
        release.withdrawn = _withdrawn_since(release.previous, release)
    release.save(update_fields=["counts", "item_count", "withdrawn"])
    job_dispatch(release, build_release_task)
    return release


def _frozen_query(release: Release) -> dict:
    items = ReleaseItem.objects.filter(release=release)
    real_ids = items.filter(origin="real").values("object_id")
    synthetic_ids = items.filter(origin="synthetic").values("object_id")
    # The frozen rows, whatever has happened to them since: the release is what it was.
    return {
        "real": LesionImage.objects.filter(pk__in=Subquery(real_ids)),
        "synthetic": SyntheticImage.objects.filter(pk__in=Subquery(synthetic_ids)),
    }


def release_stream(release: Release, splits=None, open_file=None):
    """The release archive's bytes, rebuilt from its frozen items (same items, same bytes),
    with its splits in the metadata and its citation files beside it."""
    querysets = _frozen_query(release)
    splits = splits or release_splits(release)
    merged = annotate_splits(ordered_rows(querysets, layout=LAYOUT), splits)
    tag = release.tag
    spec = ArchiveSpec(
        title=f"PixGen {release.tag}: {release.title}",
        created_at=release.created_at,
        layout=LAYOUT,
        url=site_url(reverse("release-detail", args=[release.tag])),
        cite_as=release.citation,
        release_tag=release.tag,
        notes=release.notes,
        withdrawn=tuple(release.withdrawn),
        previous_release=release.previous.tag if release.previous_id else "",
        source_notes=source_notes(querysets),
        version=release.tag,
        extra_columns=SPLIT_COLUMNS,
        extra_files=(
            ("splits.json", splits_summary(splits)),
            ("datacite.json", release_datacite_json(release, in_archive=True).encode()),
            ("CITATION.cff", release_citation_cff(release).encode()),
        ),
        file_url=lambda path: site_url(reverse("release-file", args=[tag, path])),
    )
    return archive_stream(rows=merged, spec=spec, open_file=open_file or open_stored)


def release_build(*, release_id: int) -> Release | None:
    """Build a release's archive once; later runs leave a built release alone."""
    job_run(Release, release_id, _build, what=gettext_noop("release build"))
    return Release.objects.filter(pk=release_id).first()


def _build(run: JobRun) -> None:
    release = Release.objects.select_related("previous").get(pk=run.pk)
    splits = release_splits(release)
    problems = release_leakage(release, splits)
    if problems:  # never publish near-duplicates on two sides of a split
        run.fail(JobError.messages("near_duplicates", problems))
        return
    stream = release_stream(release, splits, open_file=beating_open(run))
    with tempfile.TemporaryDirectory(prefix="pixgen-release-") as folder:
        path, sha256, size, _tally = write_archive(stream, folder)
        name = save_archive(path, f"releases/{release.tag}/pixgen-{release.tag}.zip")
    if not run.succeed(file=name, sha256=sha256, size=size):
        default_storage.delete(name)


def release_rebuild(*, moderator: User, release: Release) -> Release:
    """Queue a failed release's build again; its frozen items do not change."""
    require_moderator(moderator)
    from repository.tasks import build_release_task

    with transaction.atomic():
        requeued = job_requeue(
            Release,
            release.pk,
            build_release_task,
            statuses=[Release.Status.FAILED],
            started_at=None,
        )
        if not requeued:
            raise ValidationError(_("Only a failed release can be built again."))
    release.refresh_from_db()
    return release


def release_fail(*, release_id: int, reason: JobError) -> None:
    Release.objects.filter(pk=release_id).exclude(status=Release.Status.SUCCEEDED).update(
        status=Release.Status.FAILED, finished_at=timezone.now(), **reason.fields(limit=2000)
    )
