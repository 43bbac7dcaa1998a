"""Balanced samples: at most N images per diagnosis × Fitzpatrick cell, real images first,
thin cells optionally filled with approved synthetic images up to a stated share of the cell.
Which images are taken depends only on the seed and their uids. Plain Python, no Django."""

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field


class BalanceError(ValueError):
    """A balanced sample that cannot be drawn; the message says what exists. `code` and `params`
    let a caller with a translation catalogue say the same in the reader's language."""

    def __init__(self, message: str, code: str = "", **params):
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Candidate:
    uid: str
    diagnosis: str
    fitzpatrick: int | None
    origin: str  # real or synthetic


@dataclass
class BalancedSample:
    per_cell: int
    synthetic_ratio: float
    seed: int
    selected: set[str] = field(default_factory=set)
    # "dx|type" -> {"real": available, "synthetic": available, "real_taken", "synthetic_taken"}
    cells: dict[str, dict[str, int]] = field(default_factory=dict)

    def manifest(self) -> dict:
        return {
            "per_cell": self.per_cell,
            "synthetic_ratio": self.synthetic_ratio,
            "seed": self.seed,
            "cells": self.cells,
            "selected": len(self.selected),
        }


def _rank(seed: int, uid: str) -> str:
    return hashlib.sha256(f"balance:{seed}:{uid}".encode()).hexdigest()


def synthetic_allowed(real_taken: int, per_cell: int, ratio: float) -> int:
    """How many synthetic images a cell may add so they are at most `ratio` of it."""
    room = per_cell - real_taken
    if ratio >= 1:
        return room
    if ratio <= 0:
        return 0
    return min(room, math.floor(ratio * real_taken / (1 - ratio) + 1e-9))


def balanced_sample(
    candidates: Iterable[Candidate], *, per_cell: int, synthetic_ratio: float = 0.0, seed: int = 0
) -> BalancedSample:
    if per_cell < 1:
        raise BalanceError("Ask for at least one image per cell.")
    if not 0 <= synthetic_ratio <= 1:
        raise BalanceError("The synthetic share of a cell is between 0 and 1.")
    cells: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"real": [], "synthetic": []})
    for c in candidates:
        cells[f"{c.diagnosis}|{c.fitzpatrick or 0}"][c.origin].append(c.uid)
    sample = BalancedSample(per_cell=per_cell, synthetic_ratio=synthetic_ratio, seed=seed)
    largest = 0
    for key in sorted(cells):
        real = sorted(cells[key]["real"], key=lambda u: _rank(seed, u))
        synthetic = sorted(cells[key]["synthetic"], key=lambda u: _rank(seed, u))
        real_taken = real[:per_cell]
        room = synthetic_allowed(len(real_taken), per_cell, synthetic_ratio)
        synthetic_taken = synthetic[:room]
        fill = synthetic_allowed(len(real), len(real) + len(synthetic), synthetic_ratio)
        largest = max(largest, len(real) + min(len(synthetic), fill))
        sample.selected.update(real_taken + synthetic_taken)
        sample.cells[key] = {
            "real": len(real),
            "synthetic": len(synthetic),
            "real_taken": len(real_taken),
            "synthetic_taken": len(synthetic_taken),
        }
    if not cells:
        raise BalanceError(
            "No image matches these filters, so there is nothing to balance.", code="empty"
        )
    if per_cell > largest:
        listing = "; ".join(
            f"{key.replace('|', ' × Fitzpatrick ')}: {v['real']} real, {v['synthetic']} synthetic"
            for key, v in sorted(sample.cells.items())
        )
        raise BalanceError(
            f"You asked for up to {per_cell} images per cell, but no cell has that many "
            f"(the fullest has {largest}). What exists: {listing}.",
            code="too_few",
            per_cell=per_cell,
            largest=largest,
            cells=sample.cells,
        )
    return sample
