"""Classification metrics and percentile-bootstrap intervals, on NumPy arrays."""

import contextlib
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata

# Fewer images than this and a percentile bootstrap interval says nothing worth reading.
MIN_BOOTSTRAP_N = 10
DEFAULT_SPECIFICITIES = (0.8, 0.9)


class UndefinedMetric(ValueError):
    """The metric has no value on this data (e.g. AUC with one class); str() is the reason."""


def accuracy(y, pred) -> float:
    y, pred = np.asarray(y), np.asarray(pred)
    if len(y) == 0:
        raise UndefinedMetric("no images")
    return float(np.mean(y == pred))


def balanced_accuracy(y, pred) -> float:
    """Mean recall over the classes present in y."""
    y, pred = np.asarray(y), np.asarray(pred)
    if len(y) == 0:
        raise UndefinedMetric("no images")
    return float(np.mean([np.mean(pred[y == c] == c) for c in np.unique(y)]))


def roc_auc(y, score) -> float:
    """Binary ROC AUC from ranks (ties count one half)."""
    y, score = np.asarray(y).astype(bool), np.asarray(score, dtype=float)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise UndefinedMetric(f"AUC needs both classes; have {n_pos} positive, {n_neg} negative")
    ranks = rankdata(score)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def macro_auc(y, proba) -> float:
    """One-vs-rest AUC averaged over the classes that have both positives and negatives in y."""
    y, proba = np.asarray(y), np.asarray(proba)
    aucs = [roc_auc(y == c, proba[:, c]) for c in np.unique(y) if 0 < np.sum(y == c) < len(y)]
    if not aucs:
        raise UndefinedMetric("one-vs-rest AUC needs at least two classes present")
    return float(np.mean(aucs))


def sensitivity_at_specificity(y, score, specificity: float = 0.8) -> float:
    """Sensitivity at the lowest threshold whose specificity reaches `specificity` (score > t)."""
    y, score = np.asarray(y).astype(bool), np.asarray(score, dtype=float)
    neg, pos = np.sort(score[~y]), score[y]
    if len(pos) == 0 or len(neg) == 0:
        raise UndefinedMetric(f"needs both classes; have {len(pos)} positive, {len(neg)} negative")
    k = int(np.ceil(specificity * len(neg) - 1e-9))  # negatives that must fall at or below t
    if k == 0:
        return 1.0
    return float(np.mean(pos > neg[k - 1]))


def confusion_matrix(y, pred, num_classes: int) -> np.ndarray:
    """Rows true class, columns predicted class."""
    idx = np.asarray(y) * num_classes + np.asarray(pred)
    return np.bincount(idx, minlength=num_classes**2).reshape(num_classes, num_classes)


def reliability_bins(prob, outcome, n_bins: int = 10) -> list[dict]:
    """Equal-width bins of predicted probability: count, mean probability, observed frequency."""
    prob, outcome = np.asarray(prob, dtype=float), np.asarray(outcome, dtype=float)
    which = np.clip((prob * n_bins).astype(int), 0, n_bins - 1)
    bins = []
    for b in range(n_bins):
        inside = which == b
        n = int(inside.sum())
        bins.append(
            {
                "lo": b / n_bins,
                "hi": (b + 1) / n_bins,
                "n": n,
                "mean_probability": float(prob[inside].mean()) if n else None,
                "observed": float(outcome[inside].mean()) if n else None,
            }
        )
    return bins


def expected_calibration_error(prob, outcome, n_bins: int = 10) -> float:
    """Sum over bins of |observed - mean probability| weighted by the bin's share of images."""
    prob = np.asarray(prob, dtype=float)
    if len(prob) == 0:
        raise UndefinedMetric("no images")
    return float(
        sum(
            b["n"] / len(prob) * abs(b["observed"] - b["mean_probability"])
            for b in reliability_bins(prob, outcome, n_bins)
            if b["n"]
        )
    )


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval, or an explicit 'insufficient' with the reason.

    Unpacks as (point, lo, hi).
    """

    point: float | None
    lo: float | None
    hi: float | None
    n: int
    n_boot: int = 0
    insufficient: bool = False
    reason: str | None = None
    replicates: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __iter__(self):
        return iter((self.point, self.lo, self.hi))

    def as_dict(self) -> dict:
        if self.insufficient:
            out = {"insufficient": True, "n": self.n, "reason": self.reason}
            return out if self.point is None else {**out, "point": self.point}
        out = {"point": self.point, "lo": self.lo, "hi": self.hi, "n": self.n}
        if self.reason:
            out["note"] = self.reason
        return out


def bootstrap_ci(
    metric_fn,
    y,
    p,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    min_n: int = MIN_BOOTSTRAP_N,
) -> Estimate:
    """metric_fn(y, p) with a percentile interval over n_boot resamples of the images.

    Below min_n images, or when the metric is undefined on the data, the result is marked
    insufficient. Resamples where the metric is undefined (one class drawn) are skipped and
    counted in a note; if over half are, the interval is marked insufficient too.
    """
    y, p = np.asarray(y), np.asarray(p)
    n = len(y)
    if n < min_n:
        return Estimate(
            None,
            None,
            None,
            n,
            insufficient=True,
            reason=f"{n} images, fewer than the {min_n} needed for an interval",
        )
    try:
        point = metric_fn(y, p)
    except UndefinedMetric as exc:
        return Estimate(None, None, None, n, insufficient=True, reason=str(exc))
    rng = np.random.default_rng(seed)
    values = np.full(n_boot, np.nan)
    for b, idx in enumerate(rng.integers(0, n, size=(n_boot, n))):
        with contextlib.suppress(UndefinedMetric):
            values[b] = metric_fn(y[idx], p[idx])
    valid = values[~np.isnan(values)]
    undefined = n_boot - len(valid)
    if len(valid) < n_boot / 2:
        return Estimate(
            point,
            None,
            None,
            n,
            n_boot,
            insufficient=True,
            replicates=values,
            reason=f"metric undefined in {undefined} of {n_boot} resamples",
        )
    lo, hi = np.quantile(valid, [alpha / 2, 1 - alpha / 2])
    note = f"undefined in {undefined} of {n_boot} resamples" if undefined else None
    return Estimate(point, float(lo), float(hi), n, n_boot, reason=note, replicates=values)
