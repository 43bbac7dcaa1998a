"""The augmentation experiment's report: per section (overall, Fitzpatrick groups and types)
and per synthetic ratio, each metric with its intervals, the paired effect of synthetic data
against real only, the best-to-worst gap, curves for the plots and a headline. JSON-ready."""

import numpy as np

from synthesis.ml.experiment import stats as S
from synthesis.ml.fitzpatrick import GROUPS, TYPES, parse_type_or_group

HEADLINE_METRIC = "auc"
# The headline reports the darkest group with enough images: PixGen exists for these.
HEADLINE_SECTIONS = ("V-VI", "III-IV", "overall")


def sections_of(fitzpatrick) -> dict[str, np.ndarray]:
    """Image indices per section: overall, each group, each type that has images."""
    parsed = [(None, None) if v in (None, "") else parse_type_or_group(v) for v in fitzpatrick]
    types = np.array([t or 0 for t, _ in parsed])
    groups = np.array([g or "" for _, g in parsed])
    out = {"overall": np.arange(len(parsed))}
    out.update({g: np.flatnonzero(groups == g) for g in GROUPS})
    out.update({f"type {t}": np.flatnonzero(types == t) for t in TYPES if (types == t).any()})
    return out


def experiment_report(
    *,
    labels,
    fitzpatrick,
    predictions: dict,
    malignant_columns,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    specificity: float = S.DEFAULT_SPECIFICITY,
    metrics=S.METRICS,
) -> dict:
    """predictions: {ratio: {seed: NxC probabilities}} on the same N images for every run."""
    ratios = sorted(predictions)
    if not ratios:
        raise ValueError("no runs to report")
    seeds = sorted(predictions[ratios[0]])
    for r in ratios:
        if sorted(predictions[r]) != seeds:
            raise ValueError(f"ratio {r} has seeds {sorted(predictions[r])}, expected {seeds}")
    labels = np.asarray(labels, dtype=int)
    if len(fitzpatrick) != len(labels):
        raise ValueError(f"{len(fitzpatrick)} Fitzpatrick values for {len(labels)} images")
    scored = {
        r: [S.Scored.from_proba(labels, predictions[r][s], malignant_columns) for s in seeds]
        for r in ratios
    }
    rng = np.random.default_rng(seed)
    sections = sections_of(fitzpatrick)
    # One index matrix per section, shared by every ratio and seed: comparisons are paired.
    idx = {name: S.resample_indices(m, n_boot, rng) for name, m in sections.items() if len(m)}
    positive = scored[ratios[0]][0].positive
    kw = {"alpha": alpha, "specificity": specificity}
    report = {
        "n": int(len(labels)),
        "ratios": ratios,
        "seeds": seeds,
        "metrics_order": list(metrics),
        "bootstrap": {"n_boot": n_boot, "seed": seed, "alpha": alpha},
        "specificity": specificity,
        "min_positives": S.MIN_POSITIVES,
        "min_negatives": S.MIN_NEGATIVES,
        "sections": {name: S.counts(positive[m]) for name, m in sections.items()},
        "metrics": {},
        "effects": {},
        "gaps": {},
        "curves": {},
    }
    group_idx = {g: idx[g] for g in GROUPS if g in idx}
    for r in ratios:
        key = _key(r)
        report["metrics"][key] = {
            name: {m: S.summarise(m, scored[r], ix, **kw) for m in metrics}
            for name, ix in idx.items()
        }
        report["gaps"][key] = {
            m: S.group_gap(m, scored[r], group_idx, null_rng=np.random.default_rng(seed), **kw)
            for m in metrics
        }
        report["curves"][key] = _curves(scored[r], sections)
    base = ratios[0]
    report["baseline_ratio"] = base
    for r in ratios[1:]:
        report["effects"][_key(r)] = {
            name: {m: S.paired_difference(m, scored[base], scored[r], ix, **kw) for m in metrics}
            for name, ix in idx.items()
        }
    report["headline"] = headline(report)
    return json_safe(report)


def json_safe(value):
    """NaN and infinities become None (JSON and PostgreSQL's jsonb have no NaN)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return json_safe(value.item())
    return value


def _key(ratio) -> str:
    return f"{float(ratio):g}"


def _curves(runs: list[S.Scored], sections: dict) -> dict:
    """ROC points and reliability bins per group, from the seeds' mean score."""
    score = np.mean([r.score for r in runs], 0)
    conf = np.mean([r.conf for r in runs], 0)
    out = {}
    for name in ("overall", *GROUPS):
        m = sections.get(name)
        if m is None or not len(m):
            continue
        pos = runs[0].positive[m]
        entry = {"reliability": _reliability(conf[m], runs[0].hit[m])}
        if pos.any() and (~pos).any():
            entry["roc"] = roc_points(pos, score[m])
        out[name] = entry
    return out


def roc_points(positive, score) -> list[list[float]]:
    """[fpr, tpr] at every distinct threshold, from (0, 0) to (1, 1)."""
    positive = np.asarray(positive, dtype=bool)
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    s, p = np.asarray(score)[order], positive[order]
    cut = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tpr = np.r_[0, np.cumsum(p)[cut] / p.sum()]
    fpr = np.r_[0, np.cumsum(~p)[cut] / (~p).sum()]
    return [[round(float(f), 5), round(float(t), 5)] for f, t in zip(fpr, tpr, strict=True)]


def _reliability(conf, hit, n_bins: int = S.N_BINS) -> list[dict]:
    which = np.clip((np.asarray(conf) * n_bins).astype(int), 0, n_bins - 1)
    out = []
    for b in range(n_bins):
        inside = which == b
        if inside.any():
            out.append(
                {
                    "bin": b,
                    "n": int(inside.sum()),
                    "mean_probability": float(np.mean(conf[inside])),
                    "observed": float(np.mean(hit[inside])),
                }
            )
    return out


def headline(report: dict) -> dict:
    """The effect of the largest ratio on AUC in the darkest group with enough images.

    The ratio is fixed in advance (the largest tried), never the one that looked best."""
    if not report["effects"]:
        return {"available": False, "reason": "no synthetic ratio besides the baseline"}
    ratio = max(report["ratios"])
    effects = report["effects"][_key(ratio)]
    skipped = {}
    for section in HEADLINE_SECTIONS:
        effect = (effects.get(section) or {}).get(HEADLINE_METRIC)
        if effect is None:
            continue
        if effect.get("too_few"):
            skipped[section] = {k: effect[k] for k in ("n_pos", "n_neg")}
            continue
        return {
            "available": True,
            "ratio": ratio,
            "baseline_ratio": report["baseline_ratio"],
            "section": section,
            "metric": HEADLINE_METRIC,
            "point": effect["point"],
            "lo": effect["lo"],
            "hi": effect["hi"],
            "includes_zero": effect["includes_zero"],
            "too_few": skipped,
            "text": S.describe(
                effect["point"],
                effect["lo"],
                effect["hi"],
                what=f"{ratio:g} synthetic per real vs {report['baseline_ratio']:g}, "
                f"{HEADLINE_METRIC.upper()} on {section}",
            ),
        }
    return {"available": False, "reason": "too few images in every section", "too_few": skipped}


def table_rows(report: dict, source: str = "") -> list[dict]:
    """Flat rows (ratio, section, metric, values) for the CSV download."""
    rows = []
    for ratio, secs in report["metrics"].items():
        for section, values in secs.items():
            for metric, est in values.items():
                effect = report["effects"].get(ratio, {}).get(section, {}).get(metric) or {}
                rows.append(
                    {
                        "set": source,
                        "ratio": ratio,
                        "section": section,
                        "metric": metric,
                        "n": est.get("n"),
                        "n_pos": est.get("n_pos"),
                        "n_neg": est.get("n_neg"),
                        "too_few": bool(est.get("too_few")),
                        "point": est.get("point"),
                        "lo": est.get("lo"),
                        "hi": est.get("hi"),
                        "seed_sd": est.get("seed_sd"),
                        "effect": effect.get("point"),
                        "effect_lo": effect.get("lo"),
                        "effect_hi": effect.get("hi"),
                        "effect_includes_zero": effect.get("includes_zero"),
                    }
                )
    return rows


def format_table(report: dict, metrics=("auc", "balanced_accuracy")) -> str:
    """Text table per ratio and group: metric [interval] and the paired effect vs baseline."""

    def cell(est):
        if not est:
            return "-"
        if est.get("too_few"):
            return f"too few ({est['n_pos']}+/{est['n_neg']}-)"
        if est.get("lo") is None:
            return f"{est['point']:.3f} [no interval]"
        return f"{est['point']:+.3f} [{est['lo']:+.3f},{est['hi']:+.3f}]"

    lines = []
    for ratio, secs in report["metrics"].items():
        lines.append(f"ratio {ratio} (seeds {report['seeds']})")
        for section, values in secs.items():
            parts = []
            for m in metrics:
                parts.append(f"{m} {cell(values.get(m))}")
                effect = report["effects"].get(ratio, {}).get(section, {}).get(m)
                if effect:
                    zero = " includes 0" if effect.get("includes_zero") else ""
                    parts.append(f"Δ{m} {cell(effect)}{zero}")
            lines.append(
                f"  {section:8} n={report['sections'][section]['n']:<4} " + "  ".join(parts)
            )
        for m in metrics:
            gap = report["gaps"][ratio].get(m, {})
            if gap.get("available"):
                lines.append(
                    f"  gap {m}: {gap['gap']:.3f} [{gap['lo']:.3f},{gap['hi']:.3f}] "
                    f"({gap['best']} best, {gap['worst']} worst; chance alone gives up to "
                    f"{gap.get('null_95', float('nan')):.3f}, p={gap.get('p_value', 1.0):.2f})"
                )
            else:
                lines.append(f"  gap {m}: n/a ({gap.get('reason')})")
    if report["headline"].get("available"):
        lines.append(report["headline"]["text"])
    return "\n".join(lines)
