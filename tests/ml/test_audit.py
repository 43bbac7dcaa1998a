"""Audit metrics against hand-computed values, bootstrap intervals, the per-group report, plots."""

import json

import numpy as np
import pytest

from synthesis.ml.audit import (
    UndefinedMetric,
    audit,
    bootstrap_ci,
    compare,
    confusion_matrix_png,
    format_table,
    group_bars_png,
    reliability_png,
)
from synthesis.ml.audit import metrics as M

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_auc_counts_ties_as_half():
    assert M.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    # pairs (pos, neg): (.5,.5) tie -> 0.5, (.5,.2) 1, (.9,.5) 1, (.9,.2) 1 -> 3.5 / 4
    assert M.roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == pytest.approx(0.875)
    assert M.roc_auc([1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3]) == pytest.approx(0.5)


def test_auc_with_one_class_is_undefined_with_a_reason():
    with pytest.raises(UndefinedMetric, match="both classes; have 0 positive, 3 negative"):
        M.roc_auc([0, 0, 0], [0.1, 0.5, 0.9])


def test_accuracy_balanced_accuracy_and_confusion_matrix():
    y, pred = [0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0]
    assert M.accuracy(y, pred) == pytest.approx(4 / 6)
    assert M.balanced_accuracy(y, pred) == pytest.approx((3 / 4 + 1 / 2) / 2)
    assert M.confusion_matrix(y, pred, 3).tolist() == [[3, 1, 0], [1, 1, 0], [0, 0, 0]]


def test_expected_calibration_error_by_hand():
    # bin 0.1-0.2: mean p .125, observed .5; bin 0.9-1.0: mean p .925, observed 1.
    ece = M.expected_calibration_error([0.1, 0.15, 0.9, 0.95], [0, 1, 1, 1], n_bins=10)
    assert ece == pytest.approx(0.5 * 0.375 + 0.5 * 0.075)
    bins = M.reliability_bins([0.1, 0.15, 0.9, 1.0], [0, 1, 1, 1], n_bins=10)
    assert [b["n"] for b in bins] == [0, 2, 0, 0, 0, 0, 0, 0, 0, 2]


def test_sensitivity_at_fixed_specificity_by_hand():
    neg = np.linspace(0.1, 1.0, 10)
    pos = np.array([0.85, 0.95, 0.5, 0.3])
    y, s = np.r_[np.zeros(10), np.ones(4)], np.r_[neg, pos]
    assert M.sensitivity_at_specificity(y, s, 0.8) == pytest.approx(0.5)  # threshold > 0.8
    assert M.sensitivity_at_specificity(y, s, 0.9) == pytest.approx(0.25)  # threshold > 0.9
    assert M.sensitivity_at_specificity(y, s, 0.0) == 1.0


def test_bootstrap_interval_contains_the_point_and_is_deterministic_per_seed():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80)
    score = np.clip(y * 0.3 + rng.normal(0.35, 0.25, 80), 0, 1)
    point, lo, hi = est = bootstrap_ci(M.roc_auc, y, score, n_boot=300, seed=7)
    assert point == pytest.approx(M.roc_auc(y, score))
    assert lo < point < hi and hi - lo < 0.4
    assert tuple(bootstrap_ci(M.roc_auc, y, score, n_boot=300, seed=7)) == tuple(est)
    assert tuple(bootstrap_ci(M.roc_auc, y, score, n_boot=300, seed=8)) != tuple(est)


def test_bootstrap_on_too_few_images_is_marked_not_computed():
    est = bootstrap_ci(M.accuracy, [0, 1, 1], [0, 1, 0], min_n=10)
    assert est.insufficient and est.point is None and est.n == 3
    assert est.as_dict() == {
        "insufficient": True,
        "n": 3,
        "reason": "3 images, fewer than the 10 needed for an interval",
    }


def _fake_eval(seed=0):
    """Binary scores: good separation for types 1-2, poor for 5-6; a tiny type-3 group."""
    rng = np.random.default_rng(seed)
    fitz = [2] * 60 + [5] * 50 + [6] * 6 + ["56"] * 4 + [3] * 4
    y = rng.integers(0, 2, len(fitz))
    noise = np.array([0.15 if f == 2 else 0.45 for f in fitz])
    p1 = np.clip(0.25 + 0.5 * y + rng.normal(0, 1, len(y)) * noise, 0.01, 0.99)
    return y, np.c_[1 - p1, p1], fitz


def test_audit_reports_each_group_and_flags_tiny_ones():
    y, proba, fitz = _fake_eval()
    report = audit(y, proba, fitz, task="malignancy", n_boot=200, seed=1)
    json.dumps(report)  # JSON-ready throughout
    assert report["n"] == 124 and report["n_group_only"] == 4
    assert report["groups"]["I-II"]["n"] == 60
    assert report["groups"]["V-VI"]["n"] == 60  # types 5 and 6 plus the four group-only rows
    assert report["types"]["6"]["n"] == 6 and report["types"]["6"]["insufficient"]
    tiny = report["groups"]["III-IV"]
    assert tiny["insufficient"] and tiny["n"] == 4 and "fewer than the 10" in tiny["reason"]
    assert "metrics" not in tiny and sum(tiny["counts"].values()) == 4
    assert report["types"]["1"]["n"] == 0 and report["types"]["1"]["insufficient"]
    auc = report["groups"]["I-II"]["metrics"]["auc"]
    assert auc["lo"] <= auc["point"] <= auc["hi"]
    assert set(report["overall"]["metrics"]) >= {
        "accuracy",
        "balanced_accuracy",
        "auc",
        "ece",
        "sensitivity_at_specificity_0.8",
        "sensitivity_at_specificity_0.9",
    }
    gap = report["gap"]["auc"]
    assert gap["available"] and gap["best"] == "I-II" and gap["worst"] == "V-VI"
    assert gap["left_out"] == ["III-IV"] and 0 < gap["lo"] <= gap["gap"] <= gap["hi"]
    assert "too few (4)" in format_table(report)


def test_seven_class_audit_adds_malignancy_auc_from_summed_classes():
    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(7), 6)
    logits = rng.normal(size=(42, 7)) + 2.5 * np.eye(7)[y]
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    report = audit(y, proba, ["V"] * 42, task="dx7", n_boot=100)
    assert report["groups"]["V-VI"]["n"] == 42 and report["types"]["5"]["n"] == 42
    overall = report["overall"]["metrics"]
    assert overall["auc"]["point"] > 0.8 and overall["malignancy_auc"]["point"] > 0.5
    assert np.array(report["overall"]["confusion_matrix"]).sum() == 42
    assert not report["gap"]["accuracy"]["available"]  # one group only: no gap to report


def test_audit_rejects_logits_and_mismatched_lengths():
    with pytest.raises(ValueError, match="sum to 1"):
        audit([0, 1], [[2.0, -1.0], [0.5, 3.0]], [1, 2], task="malignancy")
    with pytest.raises(ValueError, match="3 Fitzpatrick values for 2 images"):
        audit([0, 1], [[0.5, 0.5], [0.5, 0.5]], [1, 2, 3], task="malignancy")


def test_compare_puts_two_models_side_by_side_on_the_same_eval_set():
    y, proba, fitz = _fake_eval()
    better = np.c_[1 - np.where(y == 1, 0.9, 0.1), np.where(y == 1, 0.9, 0.1)]
    a = audit(y, proba, fitz, task="malignancy", n_boot=100)
    b = audit(y, better, fitz, task="malignancy", n_boot=100)
    side = compare(a, b)
    row = side["sections"]["V-VI"]["auc"]
    assert row["difference"] == pytest.approx(1.0 - row["real_only"]["point"])
    assert side["gap"]["auc"]["real_plus_synthetic"]["gap"] == 0
    other = audit(y[:-1], proba[:-1], fitz[:-1], task="malignancy", n_boot=100)
    with pytest.raises(ValueError, match="different evaluation sets"):
        compare(a, other)


def test_plots_are_png_bytes():
    y, proba, fitz = _fake_eval()
    report = audit(y, proba, fitz, task="malignancy", n_boot=50)
    pngs = [
        group_bars_png({"real only": report, "real+synthetic": report}, metric="auc"),
        group_bars_png(report),
        confusion_matrix_png(report["overall"]["confusion_matrix"], report["classes"]),
        reliability_png(
            {
                "I-II": report["groups"]["I-II"]["reliability"],
                "V-VI": report["groups"]["V-VI"]["reliability"],
            }
        ),
    ]
    assert all(p.startswith(PNG_SIGNATURE) and len(p) > 1000 for p in pngs)


def test_auc_on_a_group_with_nine_malignant_images_is_too_few_not_a_number():
    rng = np.random.default_rng(11)
    y = np.r_[np.ones(9, int), np.zeros(40, int), np.ones(12, int), np.zeros(40, int)]
    fitz = ["VI"] * 49 + ["I"] * 52
    s = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.2, len(y)), 0.01, 0.99)
    report = audit(y, np.column_stack([1 - s, s]), fitz, task="malignancy", n_boot=100)
    dark = report["groups"]["V-VI"]["metrics"]["auc"]
    assert dark["insufficient"] and "point" not in dark
    assert "9 malignant and 40 benign" in dark["reason"] and "10 of each" in dark["reason"]
    assert report["groups"]["I-II"]["metrics"]["auc"]["point"] is not None
    assert not report["gap"]["auc"]["available"]  # one group left: no best-to-worst gap


def test_audit_gap_repicks_the_groups_in_each_resample():
    rng = np.random.default_rng(12)
    y = np.tile([0, 1], 150)
    fitz = ["I"] * 100 + ["IV"] * 100 + ["VI"] * 100
    s = np.clip(0.5 + 0.1 * (y - 0.5) + rng.normal(0, 0.2, 300), 0.01, 0.99)
    report = audit(y, np.column_stack([1 - s, s]), fitz, task="malignancy", n_boot=200)
    gap = report["gap"]["auc"]
    assert gap["lo"] >= 0 and sum(gap["best_share"].values()) == pytest.approx(1.0)
    assert max(gap["best_share"].values()) < 0.95  # no group is reliably best: all alike
