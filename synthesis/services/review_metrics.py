"""Agreement and accuracy statistics for the review report. Plain Python, no Django."""

import math
from collections import Counter
from collections.abc import Hashable, Sequence


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters over the same items; None when undefined."""
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    n = len(a)
    if not n:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca.keys() | cb.keys()) / (n * n)
    if expected == 1:
        return None  # both raters used one category throughout: agreement is not measurable
    return (observed - expected) / (1 - expected)


def weighted_kappa(
    a: Sequence[int], b: Sequence[int], *, categories: Sequence[int], power: int = 2
) -> float | None:
    """Cohen's weighted kappa for ordinal labels (Cohen 1968): disagreement weights
    |i - j|^power over the ordered categories (2: quadratic, 1: linear); None when undefined."""
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    cats = list(categories)
    index = {c: i for i, c in enumerate(cats)}
    unknown = (set(a) | set(b)) - set(index)
    if unknown:
        raise ValueError(f"labels {sorted(unknown)} are not among the categories {cats}")
    n, k = len(a), len(cats)
    if not n:
        return None
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        observed[index[x]][index[y]] += 1 / n
    row = [sum(r) for r in observed]
    col = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    span = (k - 1) ** power or 1
    weight = [[abs(i - j) ** power / span for j in range(k)] for i in range(k)]
    disagree_obs = sum(weight[i][j] * observed[i][j] for i in range(k) for j in range(k))
    disagree_exp = sum(weight[i][j] * row[i] * col[j] for i in range(k) for j in range(k))
    if disagree_exp == 0:
        return None  # both raters used one category throughout
    return 1.0 - disagree_obs / disagree_exp


def fleiss_kappa(ratings: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa: one list of labels per item, the same number of raters for every item."""
    items = [list(r) for r in ratings if r]
    if not items:
        return None
    n = len(items[0])
    if n < 2 or any(len(r) != n for r in items):
        raise ValueError("every item needs the same number (at least 2) of ratings")
    totals: Counter = Counter()
    agreement = 0.0
    for labels in items:
        counts = Counter(labels)
        totals.update(counts)
        agreement += (sum(c * c for c in counts.values()) - n) / (n * (n - 1))
    p_bar = agreement / len(items)
    p_e = sum((c / (len(items) * n)) ** 2 for c in totals.values())
    if p_e == 1:
        return None
    return (p_bar - p_e) / (1 - p_e)


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval for a proportion (95 % by default); None with no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
