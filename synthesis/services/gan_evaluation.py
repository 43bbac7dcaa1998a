"""Scoring a trained DCGAN against a baseline decoder trained without a discriminator.

Metrics (see synthesis.ml.dcgan.evaluation): conditional tone fidelity (share of samples
whose measured skin tone falls in the requested Fitzpatrick group), diversity (mean
1 - SSIM between samples of one condition), and a Fréchet distance in the feature space of
a small diagnosis classifier trained on the same repository images (not Inception-FID)."""

from django.conf import settings

BUDGET_KEYS = ("baseline_steps", "encoder_steps", "per_condition")


def evaluation_budget(values: dict | None = None, *, steps: int) -> dict:
    """Small budgets from the job, else settings; the baseline trains at most as long as the GAN."""
    values = {k: v for k, v in (values or {}).items() if k in BUDGET_KEYS and v is not None}
    budget = {
        "baseline_steps": settings.PIXGEN_GAN_BASELINE_STEPS,
        "encoder_steps": settings.PIXGEN_GAN_ENCODER_STEPS,
        "per_condition": settings.PIXGEN_GAN_EVAL_PER_CONDITION,
    }
    budget.update(values)
    for key in BUDGET_KEYS:
        value = budget[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{key} must be a positive whole number, got {value!r}")
    budget["baseline_steps"] = min(budget["baseline_steps"], steps)
    return budget


def gan_evaluate(*, records, trained, device, budget: dict) -> dict:
    """Both models scored with one encoder and one tone measure, plus the side-by-side table."""
    from synthesis.ml.dcgan.baseline import train_baseline
    from synthesis.ml.dcgan.evaluation import (
        default_tone_measure,
        evaluate,
        sampler_for,
        side_by_side,
        train_feature_encoder,
    )

    config = trained.config
    baseline = train_baseline(records, config, device=device, steps=budget["baseline_steps"])
    encoder = train_feature_encoder(
        records,
        steps=budget["encoder_steps"],
        batch_size=min(32, max(4, len(records))),
        seed=config.seed,
        device=device,
    )
    measure = default_tone_measure()
    results = {
        name: evaluate(
            sampler_for(model),
            records,
            encoder=encoder,
            measure=measure,
            per_condition=budget["per_condition"],
            seed=config.seed,
        )
        for name, model in (("dcgan", trained), ("baseline", baseline))
    }
    return {
        **results,
        "side_by_side": side_by_side(results),
        "feature_space": encoder.description,
        "encoder_train_accuracy": encoder.train_accuracy,
        "baseline_objective": "L1 regression, same Conv2DTranspose generator, no discriminator",
        "baseline_history": baseline.history,
        "budget": budget,
    }
