"""Near-duplicate detection: store each image's perceptual fingerprint, find close ones through
the banded index (never a scan of every row), record candidate pairs for moderators, and let a
moderator call a pair the same lesion, a duplicate or different.

A synthetic image is never a duplicate of its own source, nor of another image made from the
same source: those share a lesion by construction (see splits), they are not contributions."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repository import perceptual
from repository.models import LesionImage, NearDuplicatePair, PerceptualHash, User
from repository.services.notifications import notify
from repository.services.permissions import require_moderator
from synthesis.models import SyntheticImage

Key = tuple[str, int]  # (origin, object_id)
Decision = NearDuplicatePair.Decision


@dataclass(frozen=True)
class Candidate:
    origin: str
    object_id: int
    match: perceptual.Match

    @property
    def key(self) -> Key:
        return (self.origin, self.object_id)


def fingerprint_save(*, origin: str, object_id: int, prints: perceptual.Fingerprint) -> None:
    PerceptualHash.objects.bulk_create(
        fingerprint_rows(origin, object_id, prints), ignore_conflicts=True
    )


def fingerprint_rows(origin: str, object_id: int, prints: perceptual.Fingerprint) -> list:
    """Unsaved PerceptualHash rows of one image's fingerprint."""
    rows = []
    for h in prints:
        b = h.bands
        rows.append(
            PerceptualHash(
                origin=origin,
                object_id=object_id,
                region=h.region,
                coarse=perceptual.to_signed(h.coarse),
                fine=h.fine,
                band0=b[0],
                band1=b[1],
                band2=b[2],
                band3=b[3],
            )
        )
    return rows


def _band_values(hashes: Iterable[perceptual.RegionHash]) -> list[list[int]]:
    values: list[set[int]] = [set() for _ in range(perceptual.BANDS)]
    for h in hashes:
        for k, band in enumerate(h.bands):
            values[k].update(perceptual.band_neighbours(band))
    return [sorted(v) for v in values]


def _band_query(hashes: Iterable[perceptual.RegionHash]) -> Q:
    q = Q()
    for k, wanted in enumerate(_band_values(hashes)):
        q |= Q(**{f"band{k}__in": wanted})
    return q


_PG_SEARCH = """
SELECT origin, object_id FROM repository_perceptualhash
WHERE ({centre_bands}) AND bit_count((coarse # %s)::bit(64)) <= %s
UNION
SELECT origin, object_id FROM repository_perceptualhash
WHERE region = 0 AND ({window_bands}) AND ({window_distances})
"""


def _candidate_keys(centre: list, windows: list) -> set[Key]:
    """Images with a region whose band is close to the query's and whose coarse hash is within
    COARSE_MAX. PostgreSQL measures the distance itself, so only true candidates come back."""
    if connection.vendor == "postgresql":
        bands = " OR ".join(f"band{k} = ANY(%s)" for k in range(perceptual.BANDS))
        distance = "bit_count((coarse # %s)::bit(64)) <= %s"
        sql = _PG_SEARCH.format(
            centre_bands=bands,
            window_bands=bands,
            window_distances=" OR ".join([distance] * len(windows)),
        )
        params: list = [*_band_values(centre), perceptual.to_signed(centre[0].coarse)]
        params.append(perceptual.COARSE_MAX)
        params += _band_values(windows)
        for h in windows:
            params += [perceptual.to_signed(h.coarse), perceptual.COARSE_MAX]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {(origin, object_id) for origin, object_id in cursor.fetchall()}
    rows = PerceptualHash.objects.filter(
        _band_query(centre) | (Q(region=0) & _band_query(windows))
    ).values_list("origin", "object_id", "region", "coarse")
    keys = set()
    for origin, object_id, region, coarse in rows:
        coarse = perceptual.to_unsigned(coarse)
        queries = centre + (windows if region == 0 else [])
        if any(perceptual.hamming(coarse, h.coarse) <= perceptual.COARSE_MAX for h in queries):
            keys.add((origin, object_id))
    return keys


def stored_fingerprints(keys: set[Key]) -> dict[Key, list[perceptual.RegionHash]]:
    out: dict[Key, list[perceptual.RegionHash]] = {}
    by_origin: dict[str, list[int]] = {}
    for origin, object_id in keys:
        by_origin.setdefault(origin, []).append(object_id)
    for origin, ids in by_origin.items():
        rows = PerceptualHash.objects.filter(origin=origin, object_id__in=ids).values_list(
            "object_id", "region", "coarse", "fine"
        )
        for object_id, region, coarse, fine in rows:
            out.setdefault((origin, object_id), []).append(
                perceptual.RegionHash(
                    region=region, coarse=perceptual.to_unsigned(coarse), fine=bytes(fine)
                )
            )
    return out


def near_duplicate_search(
    *, prints: perceptual.Fingerprint, exclude: Iterable[Key] = ()
) -> list[Candidate]:
    """Stored images whose fingerprint is within the near-duplicate thresholds, closest first.
    The query's centre is looked up against every stored region, its windows against stored
    centres only (see repository/perceptual.py)."""
    centre = [h for h in prints if h.region == 0]
    windows = [h for h in prints if h.region != 0]
    keys = _candidate_keys(centre, windows) - set(exclude)
    found = []
    for key, stored in stored_fingerprints(keys).items():
        match = perceptual.compare(prints, tuple(stored))
        if match.is_near_duplicate:
            found.append(Candidate(origin=key[0], object_id=key[1], match=match))
    return sorted(found, key=lambda c: (c.match.fine, c.match.coarse, c.key))


def synthesis_sources(keys: Iterable[Key]) -> dict[Key, int | None]:
    """The source image of each synthetic key."""
    ids = [object_id for origin, object_id in keys if origin == "synthetic"]
    rows = SyntheticImage.objects.filter(pk__in=ids).values_list("pk", "source_image_id")
    return {("synthetic", pk): source for pk, source in rows}


def related_by_synthesis(a: Key, b: Key, sources: dict[Key, int | None]) -> bool:
    """A synthetic image and its source, or two images made from one source."""
    root_a = ("real", sources[a]) if a in sources and sources[a] else a
    root_b = ("real", sources[b]) if b in sources and sources[b] else b
    return root_a == root_b


def _ordered(a: Key, b: Key, *, a_first: bool) -> tuple[Key, Key]:
    return (a, b) if a_first else (b, a)


def near_duplicates_record(
    *, origin: str, object_id: int, prints: perceptual.Fingerprint, found: str
) -> list[NearDuplicatePair]:
    """Find the near-duplicates of a newly stored image, record each pair once (the older image
    first), and store the image's own fingerprint. Returns the pairs of this image."""
    me: Key = (origin, object_id)
    candidates = near_duplicate_search(prints=prints, exclude=[me])
    sources = synthesis_sources([me, *(c.key for c in candidates)])
    pairs = []
    for candidate in candidates:
        if related_by_synthesis(me, candidate.key, sources):
            continue
        (ao, ai), (bo, bi) = _ordered(candidate.key, me, a_first=True)
        pair, _created = NearDuplicatePair.objects.get_or_create(
            a_origin=ao,
            a_id=ai,
            b_origin=bo,
            b_id=bi,
            defaults={
                "coarse_distance": candidate.match.coarse,
                "fine_distance": candidate.match.fine,
                "found": found,
            },
        )
        pairs.append(pair)
    fingerprint_save(origin=origin, object_id=object_id, prints=prints)
    return pairs


def stored_file(key: Key) -> str:
    model = LesionImage if key[0] == "real" else SyntheticImage
    return model.objects.filter(pk=key[1]).values_list("image", flat=True).first() or ""


def fingerprints_backfill(*, origin: str, ids: Iterable[int], open_file) -> int:
    """Fingerprint the given images that have none yet (images from before this feature, or
    synthetic ones), recording the pairs they form. Returns how many were fingerprinted."""
    ids = set(ids)
    have = set(
        PerceptualHash.objects.filter(origin=origin, object_id__in=ids, region=0).values_list(
            "object_id", flat=True
        )
    )
    done = 0
    for object_id in sorted(ids - have):
        name = stored_file((origin, object_id))
        if not name:
            continue
        with open_file(name) as fh:
            prints = perceptual.fingerprint(fh.read())
        with transaction.atomic():
            near_duplicates_record(
                origin=origin,
                object_id=object_id,
                prints=prints,
                found=NearDuplicatePair.Found.BACKFILL,
            )
        done += 1
    return done


@dataclass(frozen=True)
class NearDuplicateWarning:
    """What a contributor is told about one near-duplicate of their upload."""

    uid: str
    url: str  # empty when the contributor may not see that image
    fine_distance: int


def near_duplicate_warnings(*, image: LesionImage, user: User) -> list[NearDuplicateWarning]:
    pairs = NearDuplicatePair.objects.involving("real", image.pk).order_by("fine_distance")
    out = []
    for pair in pairs:
        other = (pair.a_origin, pair.a_id)
        if other == ("real", image.pk):
            other = (pair.b_origin, pair.b_id)
        url = ""
        if other[0] == "real":
            target = LesionImage.objects.filter(pk=other[1]).first()
            if target is not None and target.can_be_seen_by(user):
                url = reverse("image-detail", args=[other[1]])
        else:
            target = SyntheticImage.objects.filter(pk=other[1]).first()
            if target is not None and target.can_be_seen_by(user):
                url = reverse("synthesis-image-detail", args=[other[1]])
        out.append(
            NearDuplicateWarning(
                uid=f"{other[0]}-{other[1]}", url=url, fine_distance=pair.fine_distance
            )
        )
    return out


def near_duplicate_pair_decide(
    *, pair: NearDuplicatePair, moderator: User, decision: str, note: str = ""
) -> NearDuplicatePair:
    """Record a moderator's verdict. "duplicate" also rejects the newer image while it is still
    pending (it adds nothing to the open database); a public duplicate stays, grouped with the
    older one so no split ever separates them."""
    require_moderator(moderator)
    if decision not in (Decision.SAME_LESION, Decision.DUPLICATE, Decision.DIFFERENT):
        raise ValidationError(
            {"decision": _("Choose same lesion, duplicate or different.")}, code="invalid"
        )
    with transaction.atomic():
        locked = NearDuplicatePair.objects.select_for_update().get(pk=pair.pk)
        locked.decision = decision
        locked.decided_by = moderator
        locked.decided_at = timezone.now()
        locked.note = (note or "").strip()
        locked.save(update_fields=["decision", "decided_by", "decided_at", "note"])
        if decision == Decision.DUPLICATE and locked.b_origin == "real":
            _reject_pending_duplicate(locked, moderator)
    return locked


def _reject_pending_duplicate(pair: NearDuplicatePair, moderator: User) -> None:
    reason = _("Duplicate of %(uid)s already in PixGen.") % {"uid": pair.a_uid}
    updated = LesionImage.objects.filter(pk=pair.b_id, status=LesionImage.Status.PENDING).update(
        status=LesionImage.Status.REJECTED,
        moderated_by=moderator,
        moderated_at=timezone.now(),
        rejection_reason=reason,
        updated_at=timezone.now(),
    )
    if updated:
        image = LesionImage.objects.select_related("contributor").get(pk=pair.b_id)
        # Lazy, so the e-mail is written in the contributor's language, not the moderator's.
        why = lazy(lambda: _("Duplicate of %(uid)s already in PixGen.") % {"uid": pair.a_uid}, str)
        notify(
            user=image.contributor,
            subject=gettext_lazy("Image #%(id)s was not published"),
            body=gettext_lazy("A moderator rejected image #%(id)s: %(reason)s"),
            params={"id": image.pk, "reason": why()},
        )


def linked_pairs(keys: set[Key] | None = None) -> list[tuple[Key, Key]]:
    """Pairs a moderator called the same lesion or a duplicate: they share a lesion group."""
    pairs = NearDuplicatePair.objects.filter(
        decision__in=[Decision.SAME_LESION, Decision.DUPLICATE]
    ).values_list("a_origin", "a_id", "b_origin", "b_id")
    out = [((ao, ai), (bo, bi)) for ao, ai, bo, bi in pairs]
    if keys is not None:
        out = [(a, b) for a, b in out if a in keys and b in keys]
    return out


@dataclass(frozen=True)
class Side:
    origin: str
    uid: str
    object: object  # LesionImage or SyntheticImage, None when no longer stored


@dataclass(frozen=True)
class PairView:
    pair: NearDuplicatePair
    sides: tuple[Side, Side]


def near_duplicate_pairs(*, user: User, decided: bool = False):
    """Pairs for the moderators' page, each with both images loaded (undecided by default)."""
    require_moderator(user)
    pairs = NearDuplicatePair.objects.select_related("decided_by")
    pairs = pairs.exclude(decision="") if decided else pairs.undecided()
    return pairs.order_by("fine_distance", "-found_at", "-id") if not decided else pairs


def pair_views(pairs: Iterable[NearDuplicatePair]) -> list[PairView]:
    pairs = list(pairs)
    wanted: dict[str, set[int]] = {"real": set(), "synthetic": set()}
    for p in pairs:
        wanted.setdefault(p.a_origin, set()).add(p.a_id)
        wanted.setdefault(p.b_origin, set()).add(p.b_id)
    real = LesionImage.objects.select_related("diagnosis", "contributor").in_bulk(wanted["real"])
    synthetic = SyntheticImage.objects.select_related("diagnosis", "source_image").in_bulk(
        wanted["synthetic"]
    )
    objects = {"real": real, "synthetic": synthetic}
    return [
        PairView(
            pair=p,
            sides=(
                Side(p.a_origin, p.a_uid, objects.get(p.a_origin, {}).get(p.a_id)),
                Side(p.b_origin, p.b_uid, objects.get(p.b_origin, {}).get(p.b_id)),
            ),
        )
        for p in pairs
    ]
