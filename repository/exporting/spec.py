"""What an archive is asked to be (ArchiveSpec) and what was found while writing it (Tally)."""

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

LAYOUTS = ("flat", "imagefolder")


@dataclass(frozen=True)
class ArchiveSpec:
    title: str
    created_at: dt.datetime  # also every member's timestamp
    layout: str = "flat"
    augment: tuple[str, ...] = ()
    seed: int = 0
    filters: dict = field(default_factory=dict)
    url: str = ""
    cite_as: str = ""
    release_tag: str = ""
    notes: str = ""
    # uid, sha256 and why, of items in the previous release that are gone from this one.
    withdrawn: tuple[dict, ...] = ()
    previous_release: str = ""
    # (licence, contributor username or "") -> source notes of those images
    source_notes: dict = field(default_factory=dict)
    version: str = ""
    # The datasheet's language; releases stay English so every download has the same bytes.
    language: str = "en"
    # Columns the rows carry beyond PixGen's own (a release's splits, say).
    extra_columns: tuple[str, ...] = ()
    # Files added beside the metadata: (name, bytes), e.g. datacite.json and CITATION.cff.
    extra_files: tuple[tuple[str, bytes], ...] = ()
    # member path -> its own download URL, for stored archives; None: no per-file URLs.
    file_url: Callable[[str], str] | None = None
    # What was sampled and how (a balanced export), recorded in manifest.json.
    sampling: dict | None = None


@dataclass
class Tally:
    total: int = 0
    masks: int = 0
    origins: Counter = field(default_factory=Counter)
    cells: Counter = field(default_factory=Counter)  # (diagnosis, fitzpatrick or 0)
    # (licence, contributor) -> Counter of origins
    credits: dict = field(default_factory=dict)
    image_formats: set = field(default_factory=set)

    def count(self, row: dict) -> None:
        self.total += 1
        self.origins[row["origin"]] += 1
        self.cells[(row["diagnosis"], row["fitzpatrick"] or 0)] += 1
        key = (row["licence"], row["contributor"] or "")
        self.credits.setdefault(key, Counter())[row["origin"]] += 1

    def skin_types(self) -> Counter:
        """Images per Fitzpatrick type (0: none recorded)."""
        out: Counter = Counter()
        for (_diagnosis, fitzpatrick), n in self.cells.items():
            out[fitzpatrick] += n
        return out

    @property
    def licences(self) -> list[str]:
        return sorted({licence for licence, _contributor in self.credits})
