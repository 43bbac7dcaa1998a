"""The report's statistics against values worked out by hand."""

import pytest

from synthesis.services.review_metrics import cohen_kappa, fleiss_kappa, wilson_interval


def test_cohen_kappa_matches_a_hand_computed_table():
    # 10 items: both approve 4, both reject 3, A approves/B rejects 2, A rejects/B approves 1.
    a = ["y"] * 4 + ["n"] * 3 + ["y"] * 2 + ["n"]
    b = ["y"] * 4 + ["n"] * 3 + ["n"] * 2 + ["y"]
    # po = 0.7; pe = 0.6*0.5 + 0.4*0.5 = 0.5; kappa = 0.2 / 0.5 = 0.4
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_is_one_for_perfect_and_none_when_undefined():
    assert cohen_kappa([1, 0, 1], [1, 0, 1]) == pytest.approx(1.0)
    assert cohen_kappa([1, 1], [1, 1]) is None
    assert cohen_kappa([], []) is None
    with pytest.raises(ValueError):
        cohen_kappa([1], [1, 0])


def test_fleiss_kappa_matches_a_hand_computed_table():
    # 4 items × 3 raters. Per-item P_i: 1, 1/3, 1/3, 1 → P̄ = 2/3.
    # Category shares: y = 6/12, n = 6/12 → Pe = 0.5; kappa = (2/3 - 1/2) / (1/2) = 1/3.
    ratings = [["y", "y", "y"], ["y", "y", "n"], ["n", "n", "y"], ["n", "n", "n"]]
    assert fleiss_kappa(ratings) == pytest.approx(1 / 3)


def test_fleiss_kappa_with_two_raters_equals_scotts_pi():
    ratings = [["y", "y"], ["y", "n"], ["n", "n"], ["n", "n"]]
    # P̄ = 3/4; shares y = 3/8, n = 5/8 → Pe = 34/64; kappa = (48/64 - 34/64)/(30/64) = 14/30
    assert fleiss_kappa(ratings) == pytest.approx(14 / 30)
    with pytest.raises(ValueError):
        fleiss_kappa([["y", "y"], ["y"]])
    assert fleiss_kappa([]) is None


def test_wilson_interval_matches_the_textbook_value():
    low, high = wilson_interval(8, 10)
    # 8/10 at 95 %: (0.4902, 0.9433)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(0, 5)
    assert low == 0.0 and 0 < high < 0.5


def test_weighted_kappa_matches_a_hand_computed_table():
    from synthesis.services.review_metrics import weighted_kappa

    # Quadratic weights over three categories: observed disagreement 0.0625, expected 0.3125.
    assert weighted_kappa([1, 1, 2, 3], [1, 2, 2, 3], categories=[1, 2, 3]) == pytest.approx(0.8)
    assert weighted_kappa([1, 2], [2, 1], categories=[1, 2]) == pytest.approx(-1.0)
    assert weighted_kappa([2, 2], [2, 2], categories=[1, 2, 3]) is None
    with pytest.raises(ValueError, match="not among"):
        weighted_kappa([7], [1], categories=[1, 2, 3])
