"""The splits a release defines, and the check that refuses to publish it when near-duplicates
straddle them. Reads the release's frozen items; writes only the near-duplicate pairs it finds,
so moderators can decide them."""

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils.translation import gettext_noop

from repository import perceptual
from repository.models import LesionImage, NearDuplicatePair, Release, ReleaseItem
from repository.services.catalogue_rows import rows
from repository.services.near_duplicates import (
    Key,
    fingerprints_backfill,
    linked_pairs,
    near_duplicate_search,
    related_by_synthesis,
    stored_fingerprints,
    synthesis_sources,
)
from repository.splits import Assignment, Item, assign_splits, lesion_key, straddling
from synthesis.models import SyntheticImage

# One seed for every release, so a lesion's split depends on the data, not on the release.
SPLIT_SEED = 20261


@dataclass
class ReleaseSplits:
    seed: int
    assignment: dict[str, Assignment]  # uid -> Assignment
    lesion_keys: dict[str, str]  # uid -> lesion key


def release_rows(release: Release):
    """The frozen rows of a release, real then synthetic, in id order."""
    items = ReleaseItem.objects.filter(release=release)
    sources = {
        "real": LesionImage.objects.filter(pk__in=items.filter(origin="real").values("object_id")),
        "synthetic": SyntheticImage.objects.filter(
            pk__in=items.filter(origin="synthetic").values("object_id")
        ),
    }
    for origin, queryset in sources.items():
        yield from rows(origin, queryset.order_by("pk"))


def _key(uid: str) -> Key:
    origin, _dash, object_id = uid.rpartition("-")
    return (origin, int(object_id))


def _uid(key: Key) -> str:
    return f"{key[0]}-{key[1]}"


def release_splits(release: Release, *, seed: int | None = None) -> ReleaseSplits:
    seed = SPLIT_SEED if seed is None else seed
    items, keys = [], {}
    for row in release_rows(release):
        keys[row["uid"]] = lesion_key(row)
        items.append(
            Item(
                uid=row["uid"],
                lesion=keys[row["uid"]],
                diagnosis=row["diagnosis"],
                fitzpatrick=row["fitzpatrick"],
                origin=row["origin"],
            )
        )
    uids = {item.uid for item in items}
    links = [(_uid(a), _uid(b)) for a, b in linked_pairs() if _uid(a) in uids and _uid(b) in uids]
    return ReleaseSplits(seed, assign_splits(items, seed=seed, links=links), keys)


def release_near_duplicates(release: Release) -> list[NearDuplicatePair]:
    """Every near-duplicate pair among the release's images (recording new ones), except
    pairs a moderator called different and synthetic images with their own sources."""
    keys: set[Key] = set(
        ReleaseItem.objects.filter(release=release).values_list("origin", "object_id")
    )
    for origin in ("real", "synthetic"):
        fingerprints_backfill(
            origin=origin,
            ids=[i for o, i in keys if o == origin],
            open_file=lambda name: default_storage.open(name, "rb"),
        )
    stored = stored_fingerprints(keys)
    sources = synthesis_sources(keys)
    found: dict[tuple[Key, Key], perceptual.Match] = {}
    for key in sorted(keys):
        if key not in stored:
            continue
        for candidate in near_duplicate_search(prints=tuple(stored[key]), exclude=[key]):
            other = candidate.key
            if other not in keys or related_by_synthesis(key, other, sources):
                continue
            found.setdefault(tuple(sorted((key, other))), candidate.match)
    pairs = []
    for (a, b), match in sorted(found.items()):
        # An upload records (existing, new), whichever sorts first: look for both orders.
        pair = NearDuplicatePair.objects.filter(
            Q(a_origin=a[0], a_id=a[1], b_origin=b[0], b_id=b[1])
            | Q(a_origin=b[0], a_id=b[1], b_origin=a[0], b_id=a[1])
        ).first()
        if pair is None:
            pair = NearDuplicatePair.objects.create(
                a_origin=a[0],
                a_id=a[1],
                b_origin=b[0],
                b_id=b[1],
                coarse_distance=match.coarse,
                fine_distance=match.fine,
                found=NearDuplicatePair.Found.CHECK,
            )
        if pair.decision != NearDuplicatePair.Decision.DIFFERENT:
            pairs.append(pair)
    return pairs


def release_leakage(release: Release, splits: ReleaseSplits) -> list[tuple[str, dict]]:
    """Why the release must not be published: near-duplicates on two sides of a split, as
    (catalogued message, parameters) pairs, worded in the reader's language when shown."""
    pairs = release_near_duplicates(release)
    uid_pairs = [(p.a_uid, p.b_uid) for p in pairs]
    problems = straddling(splits.assignment, uid_pairs)
    return [
        (
            gettext_noop(
                "%(a)s and %(b)s look like near-duplicates but fall on two sides of the %(split)s "
                "split; call them the same lesion, a duplicate or different at "
                "/moderation/near-duplicates/, then build the release again."
            ),
            {"a": a, "b": b, "split": name},
        )
        for a, b, name in problems
    ]


SPLIT_COLUMNS = ("split", "holdout_light_to_dark", "holdout_dark_to_light", "lesion_group")


def annotate_splits(rows, splits: ReleaseSplits):
    """The rows with their split columns, for the release's metadata tables."""
    for row in rows:
        assignment = splits.assignment.get(row["uid"])
        if assignment is not None:
            row.update(
                split=assignment.split,
                holdout_light_to_dark=assignment.holdout_light_to_dark,
                holdout_dark_to_light=assignment.holdout_dark_to_light,
                lesion_group=assignment.lesion_group,
            )
        yield row


def splits_summary(splits: ReleaseSplits) -> bytes:
    """splits.json: how the splits were made and how many images each side holds."""
    import json
    from collections import Counter

    counts: dict[str, Counter] = {name: Counter() for name in SPLIT_COLUMNS[:3]}
    for assignment in splits.assignment.values():
        for name in SPLIT_COLUMNS[:3]:
            counts[name][getattr(assignment, name)] += 1
    body = {
        "seed": splits.seed,
        "unit": "lesion group: a lesion's images, the synthetic images made from them, and "
        "images a moderator called the same lesion or a duplicate",
        "split": {
            "fractions": {"train": 0.7, "validation": 0.15, "test": 0.15},
            "stratified_by": "diagnosis x Fitzpatrick group (I-II, III-IV, V-VI)",
            "counts": dict(sorted(counts["split"].items())),
        },
        "holdout_light_to_dark": {
            "train": "Fitzpatrick I-IV",
            "test": "Fitzpatrick V-VI",
            "counts": dict(sorted(counts["holdout_light_to_dark"].items())),
        },
        "holdout_dark_to_light": {
            "train": "Fitzpatrick V-VI",
            "test": "Fitzpatrick I-IV",
            "counts": dict(sorted(counts["holdout_dark_to_light"].items())),
        },
        "columns": list(SPLIT_COLUMNS),
        "check": "no near-duplicate pair straddles any split (checked before publication)",
    }
    return (json.dumps(body, indent=2) + "\n").encode()
