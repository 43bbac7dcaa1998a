"""Vocabularies of the conditions a model was trained on: encode, decode, validate."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from synthesis.ml.fitzpatrick import TYPES as FITZPATRICK_TYPES

if TYPE_CHECKING:
    import torch

FIELDS = ("diagnosis", "fitzpatrick", "age_bin", "sex", "body_site")
OPTIONAL_FIELDS = ("age_bin", "sex", "body_site")
UNKNOWN = "unknown"
# (upper bound exclusive, label); ages are years.
AGE_BINS = ((30, "<30"), (45, "30-44"), (60, "45-59"), (75, "60-74"), (math.inf, "75+"))
_ACCEPTED_KEYS = set(FIELDS) | {"age"}


def age_bin(age: object) -> str:
    """A label from AGE_BINS, or 'unknown' for missing/blank/NaN ages."""
    if age is None or (isinstance(age, str) and age.strip().lower() in ("", UNKNOWN, "nan")):
        return UNKNOWN
    try:
        years = float(age)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"age must be a number of years, got {age!r}") from exc
    if math.isnan(years):
        return UNKNOWN
    if years < 0:
        raise ValueError(f"age must not be negative, got {age!r}")
    return next(label for upper, label in AGE_BINS if years < upper)


def normalise(conditions: Mapping) -> dict:
    """Canonical values for every field; optional fields default to 'unknown'."""
    unknown_keys = set(conditions) - _ACCEPTED_KEYS
    if unknown_keys:
        raise ValueError(f"unknown condition fields {sorted(unknown_keys)}; known: {FIELDS}")
    if "age" in conditions and "age_bin" in conditions:
        raise ValueError("give either age or age_bin, not both")
    diagnosis = conditions.get("diagnosis")
    if not isinstance(diagnosis, str) or not diagnosis.strip():
        raise ValueError(f"diagnosis is required (a diagnosis code), got {diagnosis!r}")
    out = {"diagnosis": diagnosis.strip().lower(), "fitzpatrick": _fitzpatrick(conditions)}
    if "age" in conditions:
        out["age_bin"] = age_bin(conditions["age"])
    else:
        out["age_bin"] = _text(conditions.get("age_bin"))
    out["sex"] = _text(conditions.get("sex"))
    out["body_site"] = _text(conditions.get("body_site"))
    return out


def _fitzpatrick(conditions: Mapping) -> int:
    value = conditions.get("fitzpatrick")
    try:
        number = int(value)
        ok = number == float(value)
    except (TypeError, ValueError):
        ok = False
    if not ok or number not in FITZPATRICK_TYPES:
        raise ValueError(f"fitzpatrick must be an integer 1-6, got {value!r}")
    return number


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return UNKNOWN
    text = str(value).strip().lower()
    return text or UNKNOWN


@dataclass(frozen=True)
class ConditionSpace:
    """What a model can be asked for: values per field and how many training images had each."""

    vocab: dict[str, tuple]
    field_counts: dict[str, dict]  # field -> value -> number of training images
    pair_counts: dict[tuple[str, int], int]  # (diagnosis, fitzpatrick) -> number of images

    @classmethod
    def from_conditions(cls, conditions: Iterable[Mapping]) -> ConditionSpace:
        rows = [normalise(c) for c in conditions]
        if not rows:
            raise ValueError("cannot build a condition space from zero training records")
        counts = {name: Counter(row[name] for row in rows) for name in FIELDS}
        vocab = {
            "diagnosis": tuple(sorted(counts["diagnosis"])),
            "fitzpatrick": FITZPATRICK_TYPES,
        }
        for name in OPTIONAL_FIELDS:
            vocab[name] = (UNKNOWN, *sorted(set(counts[name]) - {UNKNOWN}))
        pairs = Counter((row["diagnosis"], row["fitzpatrick"]) for row in rows)
        return cls(vocab, {k: dict(v) for k, v in counts.items()}, dict(pairs))

    @property
    def sizes(self) -> dict[str, int]:
        return {name: len(self.vocab[name]) for name in FIELDS}

    def check_known(self, conditions: Mapping) -> dict:
        """Normalised conditions; ValueError naming the field when a value is not in the vocab."""
        row = normalise(conditions)
        for name in FIELDS:
            if row[name] not in self.vocab[name]:
                known = ", ".join(str(v) for v in self.vocab[name])
                raise ValueError(f"unknown {name} {row[name]!r}; this model knows: {known}")
        return row

    def check_trainable(self, conditions: Mapping) -> dict:
        """Like check_known, and ValueError when no training image had the requested values."""
        row = self.check_known(conditions)
        for name in FIELDS:
            if row[name] != UNKNOWN and not self.field_counts[name].get(row[name]):
                raise ValueError(f"no training images with {name}={row[name]!r}")
        pair = (row["diagnosis"], row["fitzpatrick"])
        if not self.pair_counts.get(pair):
            raise ValueError(
                f"no training images with diagnosis={pair[0]!r} and fitzpatrick={pair[1]}"
            )
        return row

    def encode(self, conditions: Mapping) -> list[int]:
        row = self.check_known(conditions)
        return [self.vocab[name].index(row[name]) for name in FIELDS]

    def encode_many(self, conditions: Iterable[Mapping]) -> torch.Tensor:
        import torch  # here, so that forms can read a condition space without loading torch

        return torch.tensor([self.encode(c) for c in conditions], dtype=torch.long)

    def decode(self, indices: Iterable[int]) -> dict:
        indices = [int(i) for i in indices]
        if len(indices) != len(FIELDS):
            raise ValueError(f"expected {len(FIELDS)} indices, got {len(indices)}")
        out = {}
        for name, index in zip(FIELDS, indices, strict=True):
            if not 0 <= index < len(self.vocab[name]):
                raise ValueError(f"index {index} out of range for {name}")
            out[name] = self.vocab[name][index]
        return out

    def to_dict(self) -> dict:
        """Plain lists/ints/strings only, so torch.load(weights_only=True) can read it back."""
        return {
            "vocab": {k: list(v) for k, v in self.vocab.items()},
            "field_counts": {
                k: [[val, n] for val, n in v.items()] for k, v in self.field_counts.items()
            },
            "pair_counts": [[dx, fitz, n] for (dx, fitz), n in self.pair_counts.items()],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> ConditionSpace:
        try:
            vocab = {name: tuple(data["vocab"][name]) for name in FIELDS}
            counts = {name: {v: int(n) for v, n in data["field_counts"][name]} for name in FIELDS}
            pairs = {(str(dx), int(fitz)): int(n) for dx, fitz, n in data["pair_counts"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed condition space: {exc!r}") from exc
        return cls(vocab, counts, pairs)
