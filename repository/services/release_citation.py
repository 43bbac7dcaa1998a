"""What a release says to cite it: DataCite metadata and CITATION.cff, from its frozen items."""

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from repository.exporting.citation import Citable, citation_bibtex, citation_cff, datacite_json
from repository.models import LesionImage, Release, ReleaseItem, User
from synthesis.models import SyntheticImage


def _url(path: str) -> str:
    return settings.PIXGEN_SITE_URL.rstrip("/") + path


def release_doi(release: Release) -> str:
    prefix = settings.PIXGEN_DOI_PREFIX
    return f"{prefix}/pixgen.{release.tag}" if prefix else ""


def release_citable(release: Release, *, in_archive: bool = False) -> Citable:
    """`in_archive`: without the archive's own size, which the archive cannot know (and which
    would make a rebuild differ from the first build)."""
    items = ReleaseItem.objects.filter(release=release)
    real = items.filter(origin="real").values("object_id")
    synthetic = items.filter(origin="synthetic").values("object_id")
    people = (
        User.objects.filter(
            Q(contributions__pk__in=real) | Q(contributions__synthetic_images__pk__in=synthetic)
        )
        .distinct()
        .order_by("username")
    )
    creators = sorted({u.get_full_name() or u.username for u in people})
    licences = set(LesionImage.objects.filter(pk__in=real).values_list("licence", flat=True))
    licences |= set(
        SyntheticImage.objects.filter(pk__in=synthetic).values_list("licence", flat=True)
    )
    previous = release.previous
    return Citable(
        title=f"PixGen {release.tag}: {release.title}",
        version=release.tag,
        published=release.created_at,
        url=_url(reverse("release-detail", args=[release.tag])),
        creators=tuple(creators),
        licences=tuple(sorted(licences)),
        doi=release_doi(release),
        previous_url=_url(reverse("release-detail", args=[previous.tag])) if previous else "",
        previous_doi=release_doi(previous) if previous else "",
        item_count=release.item_count,
        size_bytes=None if in_archive else release.size,
        notes=release.notes,
    )


def release_datacite_json(release: Release, *, in_archive: bool = False) -> str:
    return datacite_json(release_citable(release, in_archive=in_archive))


def release_citation_cff(release: Release) -> str:
    return citation_cff(release_citable(release, in_archive=True))


def release_bibtex(release: Release) -> str:
    return citation_bibtex(release_citable(release, in_archive=True))
