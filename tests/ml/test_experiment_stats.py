"""Experiment statistics on arrays with known answers: metrics, intervals, pairing, the gap."""

import numpy as np
import pytest

from synthesis.ml.audit import metrics as M
from synthesis.ml.experiment import stats as S
from synthesis.ml.experiment.report import experiment_report, format_table, roc_points


def scored(positive, score, *, pred=None):
    positive = np.asarray(positive, dtype=bool)
    score = np.asarray(score, dtype=float)
    proba = np.column_stack([1 - score, score])
    return S.Scored.from_proba(positive.astype(int), proba, [1])


def noisy_model(rng, n_pos, n_neg, separation):
    """Scores whose AUC is about Phi(separation / sqrt 2): positives shifted up."""
    pos = np.r_[np.ones(n_pos, bool), np.zeros(n_neg, bool)]
    z = rng.normal(size=len(pos)) + separation * pos
    return pos, 1 / (1 + np.exp(-z))


def test_vectorised_metrics_agree_with_the_audits_scalar_ones():
    rng = np.random.default_rng(3)
    for _ in range(20):
        pos, score = noisy_model(rng, 15, 25, 1.0)
        score = np.round(score, 1)  # ties
        assert S.auc_rows(pos, score)[0] == pytest.approx(M.roc_auc(pos, score))
        for spec in (0.0, 0.8, 0.9, 1.0):
            assert S.sensitivity_at_specificity_rows(pos, score, spec)[0] == pytest.approx(
                M.sensitivity_at_specificity(pos, score, spec)
            )
        assert S.ece_rows(score, pos)[0] == pytest.approx(M.expected_calibration_error(score, pos))
        pred = (score > 0.5).astype(int)
        assert S.balanced_accuracy_rows(pos.astype(int), pred)[0] == pytest.approx(
            M.balanced_accuracy(pos.astype(int), pred)
        )


def test_perfectly_separable_scores_give_one_with_a_degenerate_interval():
    pos = np.r_[np.ones(20, bool), np.zeros(30, bool)]
    run = scored(pos, np.where(pos, 0.9, 0.1))
    idx = S.resample_indices(np.arange(50), 200, np.random.default_rng(0))
    for metric in ("auc", "balanced_accuracy", "sensitivity_at_specificity"):
        est = S.summarise(metric, [run], idx)
        assert (est["point"], est["lo"], est["hi"]) == (1.0, 1.0, 1.0), metric
    assert S.summarise("ece", [run], idx)["point"] == pytest.approx(0.1)


def test_random_scores_give_an_auc_interval_around_one_half():
    rng = np.random.default_rng(1)
    pos, score = noisy_model(rng, 100, 100, 0.0)
    idx = S.resample_indices(np.arange(200), 500, rng)
    est = S.summarise("auc", [scored(pos, score)], idx)
    assert est["lo"] < 0.5 < est["hi"]
    assert 0.05 < est["hi"] - est["lo"] < 0.25  # about 2 x 1.96 x 0.041 for 100 + 100


def test_fewer_than_ten_positives_is_too_few_with_the_counts_never_a_number():
    pos = np.r_[np.ones(9, bool), np.zeros(40, bool)]
    run = scored(pos, np.where(pos, 0.9, 0.1))
    idx = S.resample_indices(np.arange(49), 50, np.random.default_rng(0))
    for metric in S.METRICS:
        est = S.summarise(metric, [run], idx)
        assert est["too_few"] and (est["n_pos"], est["n_neg"]) == (9, 40)
        assert "point" not in est and "lo" not in est
    assert S.paired_difference("auc", [run], [run], idx)["too_few"]
    ten = np.r_[np.ones(10, bool), np.zeros(10, bool)]
    idx = S.resample_indices(np.arange(20), 50, np.random.default_rng(0))
    assert S.summarise("auc", [scored(ten, np.where(ten, 0.9, 0.1))], idx)["point"] == 1.0


def test_paired_difference_of_a_model_with_itself_is_exactly_zero():
    rng = np.random.default_rng(2)
    pos, score = noisy_model(rng, 30, 60, 1.0)
    run = scored(pos, score)
    idx = S.resample_indices(np.arange(90), 300, rng)
    diff = S.paired_difference("auc", [run, run], [run, run], idx)
    assert (diff["point"], diff["lo"], diff["hi"]) == (0.0, 0.0, 0.0)
    assert diff["includes_zero"]


def test_pairing_makes_the_interval_narrower_than_comparing_two_independent_intervals():
    rng = np.random.default_rng(4)
    pos, base = noisy_model(rng, 40, 80, 1.0)
    better = base + 0.05 * pos + rng.normal(0, 0.01, len(pos))  # same images, a little better
    idx = S.resample_indices(np.arange(120), 500, np.random.default_rng(1))
    a, b = scored(pos, base), scored(pos, np.clip(better, 0, 1))
    diff = S.paired_difference("auc", [a], [b], idx)
    assert diff["point"] > 0 and diff["lo"] > 0 and not diff["includes_zero"]
    ea, eb = S.summarise("auc", [a], idx), S.summarise("auc", [b], idx)
    unpaired_half_width = np.hypot(ea["hi"] - ea["lo"], eb["hi"] - eb["lo"]) / 2
    assert (diff["hi"] - diff["lo"]) / 2 < unpaired_half_width / 2


def test_spread_over_seeds_is_the_seeds_standard_deviation():
    pos = np.r_[np.ones(20, bool), np.zeros(20, bool)]
    perfect = scored(pos, np.where(pos, 0.9, 0.1))
    useless = scored(pos, np.full(40, 0.5))
    idx = S.resample_indices(np.arange(40), 100, np.random.default_rng(0))
    est = S.summarise("auc", [perfect, useless], idx)
    assert est["point"] == pytest.approx(0.75)
    assert est["per_seed"] == [1.0, 0.5]
    assert est["seed_sd"] == pytest.approx(np.std([1.0, 0.5], ddof=1))


def test_describe_says_plainly_when_an_interval_includes_zero():
    assert "includes zero" in S.describe(0.04, -0.01, 0.09, what="AUC on V-VI")
    assert "includes zero" not in S.describe(0.04, 0.01, 0.09, what="AUC on V-VI")


def gap_fixture(seed=0):
    """Two large groups far apart and a small, noisy one just below the best."""
    rng = np.random.default_rng(seed)
    parts = [noisy_model(rng, 200, 200, 1.2), noisy_model(rng, 200, 200, 0.4)]
    parts.append(noisy_model(rng, 12, 12, 1.0))
    pos = np.concatenate([p for p, _ in parts])
    score = np.concatenate([s for _, s in parts])
    bounds = np.cumsum([0] + [len(p) for p, _ in parts])
    members = {g: np.arange(bounds[i], bounds[i + 1]) for i, g in enumerate(["A", "B", "C"])}
    return scored(pos, score), members


def test_naive_gap_interval_is_narrower_than_the_one_that_repicks_the_groups():
    run, members = gap_fixture()
    rng = np.random.default_rng(5)
    idx = {g: S.resample_indices(m, 1000, rng) for g, m in members.items()}
    honest = S.group_gap("auc", [run], idx)
    naive = S.naive_gap("auc", [run], idx)
    assert honest["best"] == naive["best"] and honest["gap"] == pytest.approx(naive["gap"])
    # The small group C overtakes the best one in many resamples: only the honest one sees it.
    assert 0.1 < honest["best_share"]["C"] < 0.9
    assert honest["hi"] - honest["lo"] > 1.2 * (naive["hi"] - naive["lo"])
    assert honest["hi"] > naive["hi"]


def test_gap_is_set_against_what_shuffled_group_labels_give():
    rng = np.random.default_rng(6)
    pos, score = noisy_model(rng, 60, 60, 1.0)
    members = {"I-II": np.arange(0, 40), "III-IV": np.arange(40, 80), "V-VI": np.arange(80, 120)}
    # Make the groups balanced in class (no group effect at all: one model, one distribution).
    order = np.r_[np.arange(0, 120, 2), np.arange(1, 120, 2)]
    pos, score = pos[order], score[order]
    run = scored(pos, score)
    idx = {g: S.resample_indices(m, 300, rng) for g, m in members.items()}
    gap = S.group_gap("auc", [run], idx, null_rng=np.random.default_rng(0), n_null=300)
    assert gap["gap"] > 0 and gap["lo"] >= 0  # max - min is never below zero ...
    assert not gap["beyond_chance"]  # ... so it is read against chance
    strong = scored(pos, np.where(np.arange(120) < 40, pos * 0.8 + 0.1, score))
    gap = S.group_gap("auc", [strong], idx, null_rng=np.random.default_rng(0), n_null=300)
    assert gap["best"] == "I-II" and gap["beyond_chance"]


def test_gap_needs_two_groups_with_enough_images():
    pos = np.r_[np.ones(20, bool), np.zeros(20, bool), np.ones(3, bool), np.zeros(20, bool)]
    run = scored(pos, np.linspace(0, 1, len(pos)))
    rng = np.random.default_rng(0)
    idx = {
        "I-II": S.resample_indices(np.arange(40), 50, rng),
        "V-VI": S.resample_indices(np.arange(40, 63), 50, rng),
    }
    gap = S.group_gap("auc", [run], idx)
    assert not gap["available"]
    assert gap["left_out"] == {"V-VI": {"n": 23, "n_pos": 3, "n_neg": 20}}


def test_roc_points_run_from_corner_to_corner():
    pts = roc_points([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
    assert pts == [[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]]


def test_experiment_report_pairs_ratios_and_reports_too_few_groups_as_counts():
    rng = np.random.default_rng(7)
    n = 150
    labels = np.r_[np.ones(60, int), np.zeros(90, int)]
    fitz = np.array([1, 2, 3, 5, 6] * 30)
    fitz[(labels == 1) & np.isin(fitz, (3,))] = 4
    fitz[np.flatnonzero((labels == 1) & (fitz == 4))[4:]] = 1  # III-IV: 4 positives only
    base = rng.random(n)
    preds = {}
    for ratio, lift in ((0, 0.0), (3, 0.25)):
        preds[ratio] = {}
        for seed in (0, 1):
            s = np.clip(base + lift * labels * (fitz >= 5) + rng.normal(0, 0.02, n), 0, 1)
            preds[ratio][seed] = np.column_stack([1 - s, s])
    report = experiment_report(
        labels=labels,
        fitzpatrick=fitz.tolist(),
        predictions=preds,
        malignant_columns=[1],
        n_boot=200,
    )
    assert report["sections"]["III-IV"]["n_pos"] == 4
    assert report["metrics"]["0"]["III-IV"]["auc"]["too_few"]
    effect = report["effects"]["3"]["V-VI"]["auc"]
    assert effect["point"] > 0.1 and effect["lo"] > 0 and not effect["includes_zero"]
    assert report["effects"]["3"]["I-II"]["auc"]["includes_zero"]
    head = report["headline"]
    assert head["available"] and head["section"] == "V-VI" and head["ratio"] == 3
    assert "too few" in format_table(report)
    assert report["curves"]["0"]["V-VI"]["roc"][-1] == [1.0, 1.0]


def test_experiment_report_refuses_runs_with_different_seeds():
    proba = np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match="seeds"):
        experiment_report(
            labels=[0, 1, 0, 1],
            fitzpatrick=[1, 1, 5, 5],
            predictions={0: {0: proba, 1: proba}, 3: {0: proba}},
            malignant_columns=[1],
        )
