"""Honest per-group statistics for classifier experiments, on NumPy arrays.

Every metric is computed on many bootstrap resamples of the evaluation images at once (rows of
an index matrix), so intervals over 1000 resamples cost a few array operations. The same index
matrix serves every model evaluated on the same images: differences between models are paired.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

# Below this many positives or negatives in a group a metric is "too few", never a number:
# with 3 positives an AUC moves by a third when one image changes rank.
MIN_POSITIVES = 10
MIN_NEGATIVES = 10
DEFAULT_SPECIFICITY = 0.8
N_BINS = 10
METRICS = ("auc", "balanced_accuracy", "sensitivity_at_specificity", "ece")
LOWER_IS_BETTER = frozenset({"ece"})


@dataclass(frozen=True)
class Scored:
    """One model's outputs on one evaluation set, reduced to what the metrics read.

    positive: the image is malignant; score: P(malignant); label/pred: true and predicted class;
    conf/hit: the probability behind the calibration check and whether it came true."""

    label: np.ndarray
    positive: np.ndarray
    score: np.ndarray
    pred: np.ndarray
    conf: np.ndarray
    hit: np.ndarray

    @classmethod
    def from_proba(cls, label, proba, malignant_columns) -> "Scored":
        """Labels 0..C-1 and NxC probabilities; malignant_columns are the malignant classes.

        Binary tasks check P(malignant); multi-class ones the top label's probability."""
        label = np.asarray(label, dtype=int)
        proba = np.asarray(proba, dtype=float)
        if proba.ndim != 2 or len(proba) != len(label):
            raise ValueError(f"proba must be {len(label)}xC, got shape {proba.shape}")
        cols = list(malignant_columns)
        positive = np.isin(label, cols)
        score = proba[:, cols].sum(1)
        pred = proba.argmax(1)
        if proba.shape[1] == 2:
            conf, hit = score, positive
        else:
            conf, hit = proba.max(1), pred == label
        return cls(label, positive, score, pred, conf, hit)

    def __len__(self) -> int:
        return len(self.label)


# ---- metrics on a batch of resamples: every argument is B x n, every result has length B ----


def auc_rows(positive: np.ndarray, score: np.ndarray) -> np.ndarray:
    """ROC AUC per row from ranks (ties count one half); NaN where a row lacks a class."""
    positive = np.atleast_2d(positive).astype(bool)
    score = np.atleast_2d(score).astype(float)
    n_pos = positive.sum(1)
    n_neg = positive.shape[1] - n_pos
    ranks = rankdata(score, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = ((ranks * positive).sum(1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def balanced_accuracy_rows(label: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present in each row."""
    label, pred = np.atleast_2d(label), np.atleast_2d(pred)
    recalls = []
    for c in np.unique(label):
        is_c = label == c
        with np.errstate(divide="ignore", invalid="ignore"):
            recalls.append((is_c & (pred == c)).sum(1) / is_c.sum(1))
    if not recalls:
        return np.full(label.shape[0], np.nan)
    return np.nanmean(np.vstack(recalls), axis=0)


def sensitivity_at_specificity_rows(positive, score, specificity=DEFAULT_SPECIFICITY):
    """Sensitivity at the lowest threshold t (score > t) whose specificity reaches the target."""
    positive = np.atleast_2d(positive).astype(bool)
    score = np.atleast_2d(score).astype(float)
    rows = np.arange(positive.shape[0])
    n_pos = positive.sum(1)
    n_neg = positive.shape[1] - n_pos
    negatives = np.sort(np.where(positive, np.inf, score), axis=1)
    k = np.ceil(specificity * n_neg - 1e-9).astype(int)  # negatives that must fall at or below t
    threshold = np.where(k > 0, negatives[rows, np.maximum(k - 1, 0)], -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        sens = (positive & (score > threshold[:, None])).sum(1) / n_pos
    return np.where((n_pos > 0) & (n_neg > 0), sens, np.nan)


def ece_rows(conf: np.ndarray, hit: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Expected calibration error per row: equal-width bins weighted by their share of images."""
    conf = np.atleast_2d(conf).astype(float)
    hit = np.atleast_2d(hit).astype(float)
    b, n = conf.shape
    which = np.clip((conf * n_bins).astype(int), 0, n_bins - 1) + n_bins * np.arange(b)[:, None]
    # n_bin/n * |mean hit - mean conf| summed over bins is |sum hit - sum conf| summed, over n.
    sum_conf = np.bincount(which.ravel(), conf.ravel(), b * n_bins).reshape(b, n_bins)
    sum_hit = np.bincount(which.ravel(), hit.ravel(), b * n_bins).reshape(b, n_bins)
    return np.abs(sum_hit - sum_conf).sum(1) / n if n else np.full(b, np.nan)


def metric_rows(
    metric: str, scored: Scored, idx: np.ndarray, *, specificity=DEFAULT_SPECIFICITY
) -> np.ndarray:
    """`metric` of one model on each row of image indices (B x n) -> B values (NaN: undefined)."""
    if metric == "auc":
        return auc_rows(scored.positive[idx], scored.score[idx])
    if metric == "balanced_accuracy":
        return balanced_accuracy_rows(scored.label[idx], scored.pred[idx])
    if metric == "sensitivity_at_specificity":
        return sensitivity_at_specificity_rows(scored.positive[idx], scored.score[idx], specificity)
    if metric == "ece":
        return ece_rows(scored.conf[idx], scored.hit[idx])
    raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")


# ---- what a section may report ----


def counts(positive: np.ndarray) -> dict:
    positive = np.asarray(positive, dtype=bool)
    return {"n": int(len(positive)), "n_pos": int(positive.sum()), "n_neg": int((~positive).sum())}


def too_few(positive: np.ndarray) -> dict | None:
    """None when a group has enough positives and negatives; else the counts, marked too few."""
    c = counts(positive)
    if c["n_pos"] >= MIN_POSITIVES and c["n_neg"] >= MIN_NEGATIVES:
        return None
    return {
        "too_few": True,
        **c,
        "needed": {"n_pos": MIN_POSITIVES, "n_neg": MIN_NEGATIVES},
        "reason": (
            f"{c['n_pos']} positive and {c['n_neg']} negative images; "
            f"at least {MIN_POSITIVES} of each needed"
        ),
    }


def resample_indices(members: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """n_boot x len(members) indices drawn with replacement from `members` (the point: row 0)."""
    members = np.asarray(members, dtype=int)
    draws = rng.integers(0, len(members), size=(n_boot, len(members)))
    return np.vstack([members[None, :], members[draws]])


def _interval(values: np.ndarray, alpha: float) -> tuple[float | None, float | None, int]:
    valid = values[~np.isnan(values)]
    if len(valid) < max(2, len(values) / 2):
        return None, None, len(values) - len(valid)
    lo, hi = np.quantile(valid, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi), len(values) - len(valid)


def includes_zero(lo, hi) -> bool:
    return lo is not None and hi is not None and lo <= 0 <= hi


def _spread(per_seed: list[float]) -> dict:
    values = np.asarray(per_seed, dtype=float)
    return {
        "per_seed": [float(v) for v in values],
        "seed_sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "seed_min": float(values.min()),
        "seed_max": float(values.max()),
    }


def summarise(
    metric: str, runs: list[Scored], idx: np.ndarray, *, alpha=0.05, specificity=DEFAULT_SPECIFICITY
) -> dict:
    """A metric of the seeds' runs on one section: mean over seeds with an interval over images
    (row 0 of idx is the section itself, rows 1.. its resamples) and the spread over seeds."""
    blocked = too_few(runs[0].positive[idx[0]])
    if blocked:
        return blocked
    rows = np.vstack([metric_rows(metric, r, idx, specificity=specificity) for r in runs])
    point = rows[:, 0]
    if np.isnan(point).any():
        return {"too_few": True, **counts(runs[0].positive[idx[0]]), "reason": "undefined"}
    lo, hi, undefined = _interval(np.nanmean(rows[:, 1:], axis=0), alpha)
    return {
        "point": float(point.mean()),
        "lo": lo,
        "hi": hi,
        **counts(runs[0].positive[idx[0]]),
        **_spread(point.tolist()),
        "undefined_resamples": undefined,
    }


def paired_difference(
    metric: str,
    base: list[Scored],
    other: list[Scored],
    idx: np.ndarray,
    *,
    alpha=0.05,
    specificity=DEFAULT_SPECIFICITY,
) -> dict:
    """other - base, seed by seed on the same images and resamples, averaged over seeds.

    The interval is over images; the seeds' own differences show the spread over seeds."""
    if len(base) != len(other):
        raise ValueError(f"paired runs need the same seeds: {len(base)} vs {len(other)}")
    blocked = too_few(base[0].positive[idx[0]])
    if blocked:
        return blocked
    diffs = np.vstack(
        [
            metric_rows(metric, o, idx, specificity=specificity)
            - metric_rows(metric, b, idx, specificity=specificity)
            for b, o in zip(base, other, strict=True)
        ]
    )
    point = diffs[:, 0]
    lo, hi, undefined = _interval(np.nanmean(diffs[:, 1:], axis=0), alpha)
    better = point < 0 if metric in LOWER_IS_BETTER else point > 0
    return {
        "point": float(point.mean()),
        "lo": lo,
        "hi": hi,
        **counts(base[0].positive[idx[0]]),
        **_spread(point.tolist()),
        "seeds_improved": int(better.sum()),
        "includes_zero": includes_zero(lo, hi),
        "undefined_resamples": undefined,
    }


def _best_worst(values: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the best and worst group in each row (values: B x groups)."""
    signed = -values if metric in LOWER_IS_BETTER else values
    filled_hi = np.where(np.isnan(signed), -np.inf, signed)
    filled_lo = np.where(np.isnan(signed), np.inf, signed)
    return filled_hi.argmax(1), filled_lo.argmin(1)


def group_gap(
    metric: str,
    runs: list[Scored],
    group_idx: dict[str, np.ndarray],
    *,
    alpha=0.05,
    specificity=DEFAULT_SPECIFICITY,
    null_rng: np.random.Generator | None = None,
    n_null: int = 1000,
) -> dict:
    """Best- minus worst-served group, bootstrapped including the choice of the two groups.

    group_idx[g] holds g's point row and resamples (as from resample_indices, one n_boot for
    all). In each resample every group is scored again and the best and worst are picked
    again, so the interval carries the uncertainty of which groups those are. A gap of
    max - min is never below zero, so "includes zero" cannot be read from it: instead the
    gap is set against the gaps that shuffling the group labels gives (no group effect)."""
    usable = {g: ix for g, ix in group_idx.items() if too_few(runs[0].positive[ix[0]]) is None}
    left_out = {
        g: counts(runs[0].positive[ix[0]]) for g, ix in group_idx.items() if g not in usable
    }
    if len(usable) < 2:
        return {
            "available": False,
            "left_out": left_out,
            "reason": f"{len(usable)} group(s) with {MIN_POSITIVES} positives and "
            f"{MIN_NEGATIVES} negatives; 2 needed",
        }
    names = list(usable)
    values = np.column_stack(
        [
            np.mean([metric_rows(metric, r, usable[g], specificity=specificity) for r in runs], 0)
            for g in names
        ]
    )  # (1 + n_boot) x groups, seed-averaged
    best, worst = _best_worst(values, metric)
    rows = np.arange(len(values))
    gaps = np.abs(values[rows, best] - values[rows, worst])
    lo, hi, _undefined = _interval(gaps[1:], alpha)
    out = {
        "available": True,
        "groups": {g: float(values[0, i]) for i, g in enumerate(names)},
        "best": names[best[0]],
        "worst": names[worst[0]],
        "gap": float(gaps[0]),
        "lo": lo,
        "hi": hi,
        # How often the resamples agree with the point estimate's pick.
        "best_share": {g: float(np.mean(best[1:] == i)) for i, g in enumerate(names)},
        "worst_share": {g: float(np.mean(worst[1:] == i)) for i, g in enumerate(names)},
        "left_out": left_out,
    }
    if null_rng is not None:
        null = _null_gaps(metric, runs, usable, names, null_rng, n_null, specificity)
        out["null_95"] = float(np.nanquantile(null, 0.95))
        out["p_value"] = float((1 + np.sum(null >= gaps[0])) / (1 + np.sum(~np.isnan(null))))
        out["beyond_chance"] = bool(out["p_value"] < alpha)
    return out


def _null_gaps(metric, runs, usable, names, rng, n_null, specificity) -> np.ndarray:
    """Gaps when the images' group labels are shuffled: what max - min is with no group effect."""
    pooled = np.concatenate([usable[g][0] for g in names])
    sizes = np.cumsum([len(usable[g][0]) for g in names])[:-1]
    perm = np.argsort(rng.random((n_null, len(pooled))), axis=1)
    shuffled = pooled[perm]
    parts = np.split(shuffled, sizes, axis=1)
    values = np.column_stack(
        [
            np.mean([metric_rows(metric, r, p, specificity=specificity) for r in runs], 0)
            for p in parts
        ]
    )
    best, worst = _best_worst(values, metric)
    rows = np.arange(len(values))
    return np.abs(values[rows, best] - values[rows, worst])


def naive_gap(
    metric: str, runs: list[Scored], group_idx: dict[str, np.ndarray], *, alpha=0.05
) -> dict:
    """The gap as the old audit did it: best and worst picked once by point estimate, then only
    those two bootstrapped. Kept to show (and test) that its interval is too narrow."""
    values = {
        g: np.mean([metric_rows(metric, r, ix) for r in runs], 0) for g, ix in group_idx.items()
    }
    sign = -1 if metric in LOWER_IS_BETTER else 1
    best = max(values, key=lambda g: sign * values[g][0])
    worst = min(values, key=lambda g: sign * values[g][0])
    diff = sign * (values[best] - values[worst])
    lo, hi, _ = _interval(diff[1:], alpha)
    return {"best": best, "worst": worst, "gap": float(diff[0]), "lo": lo, "hi": hi}


def describe(point: float, lo, hi, *, what: str) -> str:
    """One plain sentence: the estimate, its interval, and whether the interval includes zero."""
    if lo is None or hi is None:
        return f"{what}: {point:+.3f} (no interval: too few usable resamples)."
    text = f"{what}: {point:+.3f} [{lo:+.3f}, {hi:+.3f}]"
    if includes_zero(lo, hi):
        return text + "; the interval includes zero, so no effect is shown either way."
    return text + "."
