"""DCGAN evaluation and baseline: metrics on real demo images, baseline training, loss plot."""

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synthesis.ml.dcgan.baseline import train_baseline
from synthesis.ml.dcgan.config import GanConfig
from synthesis.ml.dcgan.data import ImageRecord, read_records
from synthesis.ml.dcgan.evaluation import (
    diversity,
    evaluate,
    frechet_distance,
    sampler_for,
    side_by_side,
    tone_fidelity,
    train_feature_encoder,
)
from synthesis.ml.dcgan.plots import plot_losses

DEMO = Path(__file__).resolve().parents[2] / "repository" / "demo_data"


@cache
def demo_records() -> tuple[ImageRecord, ...]:
    records = read_records(DEMO / "metadata.csv", DEMO / "images")
    return tuple(
        ImageRecord(np.asarray(Image.fromarray(r.rgb).resize((160, 120))), r.conditions)
        for r in records
    )


@cache
def encoder():
    return train_feature_encoder(demo_records(), steps=3, batch_size=8, width=4, device="cpu")


def tiny_config(**changes) -> GanConfig:
    base = dict(latent_dim=16, g_width=8, d_width=8, batch_size=8, steps=3, log_every=1)
    return GanConfig(**{**base, **changes})


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    features = encoder().features([r.rgb for r in demo_records()])
    assert features.shape == (35, 64)
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(features, features + 1.0) == pytest.approx(64.0, rel=1e-3)


def test_diversity_is_zero_for_copies_and_positive_for_different_lesions():
    images = [r.rgb for r in demo_records()[:4]]
    assert diversity([images[0]] * 3) == pytest.approx(0.0, abs=1e-9)
    assert 0.05 < diversity(images) <= 2.0


def test_tone_fidelity_counts_measurements_in_the_requested_group():
    images = [r.rgb for r in demo_records()[:4]]
    measured = iter([5, 6, 4, "V-VI"])
    assert tone_fidelity(images, 6, lambda rgb: next(measured)) == 0.75


def test_baseline_decoder_trains_and_samples_like_the_gan():
    events = []
    baseline = train_baseline(demo_records(), tiny_config(), device="cpu", progress=events.append)
    assert baseline.method == "baseline-l1"
    assert [e["step"] for e in events] == [1, 2, 3]
    assert all(np.isfinite(e["loss_l1"]) for e in events)
    assert events[-1]["loss_l1"] < 1.0  # pixels in [-1, 1]: random output starts near 0.5-1
    (dx, fitz), _ = max(baseline.conditions.pair_counts.items(), key=lambda item: item[1])
    images = sampler_for(baseline)({"diagnosis": dx, "fitzpatrick": fitz}, 2, 0)
    assert images[0].shape == (64, 64, 3)


def test_evaluation_reports_every_metric_for_each_method_side_by_side():
    baseline = train_baseline(demo_records(), tiny_config(steps=1), device="cpu")
    result = evaluate(
        sampler_for(baseline),
        demo_records(),
        encoder=encoder(),
        measure=lambda rgb: 2,
        per_condition=2,
    )
    assert result["tone_fidelity"] == result["real_tone_fidelity"] == 1.0
    pairs = len(baseline.conditions.pair_counts)
    assert result["n_conditions"] == pairs >= 7 and result["n_generated"] == 2 * pairs
    assert result["frechet_distance"] > 0
    assert 0 <= result["diversity"] <= 2 and 0 < result["real_diversity"] <= 2
    table = side_by_side({"dcgan": result, "baseline": {**result, "tone_fidelity": None}})
    assert "frechet_distance" in table and "n/a" in table


def test_plot_losses_returns_a_png():
    png = plot_losses([{"step": s, "loss_d": 1.0 / s, "loss_g": 0.5} for s in range(1, 6)])
    assert png.startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        plot_losses([])


def test_tone_fidelity_counts_unmeasurable_images_as_misses():
    images = [r.rgb for r in demo_records()[:2]]
    outcomes = iter([2, ValueError("too little healthy skin")])

    def measure(rgb):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert tone_fidelity(images, 1, measure) == 0.5
