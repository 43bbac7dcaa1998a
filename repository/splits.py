"""Leakage-free dataset splits, computed from plain rows (no Django): deterministic, by lesion,
stratified by diagnosis × Fitzpatrick group.

A lesion group holds every image of one lesion: the real images with one lesion key, the
synthetic images made from them (they carry their source's lesion key), and whatever a
moderator linked as the same lesion or a duplicate. A group is never on two sides of a split.

- `split`: train / validation / test, each stratum (diagnosis × Fitzpatrick group of the
  group's real images) divided in the stated fractions, groups ordered by a hash of the seed
  and the group, so the same rows and seed always give the same split, whatever else changes.
- `holdout_light_to_dark`: train on Fitzpatrick I–IV, test on V–VI (as Fitzpatrick17k's
  evaluation does); `holdout_dark_to_light`: the reverse. A lesion goes to the side of its real
  images' types; an image of it whose own type belongs to the other side (a tone transfer of a
  light-skin lesion to type V, say) is `excluded`, since training on it would leak its lesion."""

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from synthesis.ml.fitzpatrick import TYPES, group_of

SPLITS = ("train", "validation", "test")
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)
LIGHT, DARK = (1, 2, 3, 4), (5, 6)


@dataclass(frozen=True)
class Item:
    uid: str
    lesion: str  # lesion key: the same string for every image of one lesion
    diagnosis: str
    fitzpatrick: int | None
    origin: str = "real"


@dataclass(frozen=True)
class Assignment:
    split: str
    holdout_light_to_dark: str
    holdout_dark_to_light: str
    lesion_group: str


class _Union:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the smallest key names the group


def lesion_key(row: dict) -> str:
    """The lesion a catalogue row shows: its contributor's lesion identifier, else the image
    itself; a synthetic image carries its source's (its row holds the source's identifier)."""
    if row.get("lesion_identifier"):
        return f"{row.get('contributor') or ''}:{row['lesion_identifier']}"
    if row.get("origin") == "synthetic" and row.get("source_image"):
        return f"real-{row['source_image']}"
    return row["uid"]


def lesion_groups(items: Iterable[Item], links: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """uid -> group name: lesion keys, joined by linked uid pairs (same lesion, duplicate)."""
    items = list(items)
    union = _Union()
    lesion_of = {item.uid: item.lesion for item in items}
    for item in items:
        union.find(item.lesion)
    for a, b in links:
        if a in lesion_of and b in lesion_of:
            union.join(lesion_of[a], lesion_of[b])
    return {item.uid: union.find(item.lesion) for item in items}


def _order(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def _stratum(members: list[Item]) -> str:
    real = [m for m in members if m.origin == "real"] or members
    dx = Counter(m.diagnosis for m in real).most_common()
    types = Counter(
        group_of(m.fitzpatrick) if m.fitzpatrick in TYPES else "unknown" for m in real
    ).most_common()
    # Ties break by name, so the stratum never depends on row order.
    dx_name = min(name for name, n in dx if n == dx[0][1])
    type_name = min(name for name, n in types if n == types[0][1])
    return f"{dx_name}|{type_name}"


def _side(members: list[Item], first: tuple[int, ...]) -> str | None:
    real = [m.fitzpatrick for m in members if m.origin == "real" and m.fitzpatrick]
    known = real or [m.fitzpatrick for m in members if m.fitzpatrick]
    if not known:
        return None
    in_first = sum(t in first for t in known)
    if in_first * 2 == len(known):
        return None  # a lesion photographed as both: on neither side
    return "train" if in_first * 2 > len(known) else "test"


def _holdout(item: Item, side: str | None, train_types: tuple[int, ...]) -> str:
    if side is None or not item.fitzpatrick:
        return "excluded"
    item_side = "train" if item.fitzpatrick in train_types else "test"
    return side if item_side == side else "excluded"


def assign_splits(
    items: Iterable[Item],
    *,
    seed: int,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    links: Iterable[tuple[str, str]] = (),
) -> dict[str, Assignment]:
    """uid -> Assignment for every item."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError("fractions are three non-negative numbers that add up to 1")
    items = list(items)
    group_of = lesion_groups(items, links)
    members: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        members[group_of[item.uid]].append(item)
    strata: dict[str, list[str]] = defaultdict(list)
    for group, group_items in members.items():
        strata[_stratum(group_items)].append(group)

    split_of_group: dict[str, str] = {}
    for stratum in sorted(strata):
        groups = sorted(strata[stratum], key=lambda g: _order(seed, g))
        sizes = {g: sum(m.origin == "real" for m in members[g]) or 1 for g in groups}
        total = sum(sizes.values())
        counts = dict.fromkeys(SPLITS, 0)
        for group in groups:
            # The split furthest below its share takes the next group; ties go in SPLITS order.
            deficits = [
                (fractions[i] * total - counts[name], -i, name)
                for i, name in enumerate(SPLITS)
                if fractions[i] > 0
            ]
            name = max(deficits)[2]
            split_of_group[group] = name
            counts[name] += sizes[group]

    out = {}
    for group, group_items in members.items():
        light_side = _side(group_items, LIGHT)
        dark_side = _side(group_items, DARK)
        for item in group_items:
            out[item.uid] = Assignment(
                split=split_of_group[group],
                holdout_light_to_dark=_holdout(item, light_side, LIGHT),
                holdout_dark_to_light=_holdout(item, dark_side, DARK),
                lesion_group=group,
            )
    return out


def straddling(
    assignment: dict[str, Assignment], pairs: Iterable[tuple[str, str]]
) -> list[tuple[str, str, str]]:
    """(uid a, uid b, which split) for every pair whose two images sit on different sides of
    any split: the check a release must pass before it is published."""
    out = []
    for a, b in pairs:
        if a not in assignment or b not in assignment:
            continue
        x, y = assignment[a], assignment[b]
        for name in ("split", "holdout_light_to_dark", "holdout_dark_to_light"):
            sides = {getattr(x, name), getattr(y, name)} - {"excluded"}
            if len(sides) > 1:
                out.append((a, b, name))
    return out
