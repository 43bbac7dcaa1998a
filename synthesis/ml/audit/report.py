"""Fairness audit of a classifier's probabilities: overall, per Fitzpatrick type and group."""

import hashlib
import json
import zlib
from functools import partial

import numpy as np

from synthesis.ml.audit import metrics as M
from synthesis.ml.classifier.inference import predict_proba
from synthesis.ml.classifier.tasks import DX7_CLASSES, MALIGNANT_DX, get_task
from synthesis.ml.experiment.stats import MIN_POSITIVES
from synthesis.ml.fitzpatrick import GROUPS, TYPES, parse_type_or_group

# Below this many images a section reports its counts and 'insufficient', no metrics.
MIN_GROUP_SIZE = M.MIN_BOOTSTRAP_N
# AUC and sensitivity need at least this many malignant and benign images in a section: with
# 3 positives one image changing rank moves an AUC by a third (see synthesis.ml.experiment).
MIN_PER_CLASS = MIN_POSITIVES
LOWER_IS_BETTER = {"ece"}


def audit(
    y_true,
    proba,
    fitzpatrick,
    *,
    task,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    min_group_size: int = MIN_GROUP_SIZE,
    n_bins: int = 10,
    specificities=M.DEFAULT_SPECIFICITIES,
) -> dict:
    """JSON-ready report. fitzpatrick per image: 1-6, I-VI, a group (12, 'V-VI') or None."""
    task = get_task(task)
    y, proba = np.asarray(y_true, dtype=int), np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape != (len(y), task.num_classes):
        raise ValueError(f"proba must be {len(y)}x{task.num_classes}, got {proba.shape}")
    if len(fitzpatrick) != len(y):
        raise ValueError(f"{len(fitzpatrick)} Fitzpatrick values for {len(y)} images")
    if len(y) and (y.min() < 0 or y.max() >= task.num_classes):
        raise ValueError(f"labels must be 0..{task.num_classes - 1}")
    if not np.allclose(proba.sum(1), 1.0, atol=1e-3):
        raise ValueError("each row of proba must sum to 1 (pass probabilities, not logits)")
    parsed = [(None, None) if v is None else parse_type_or_group(v) for v in fitzpatrick]
    types = np.array([t or 0 for t, _ in parsed])
    groups = np.array([g or "" for _, g in parsed])
    section = partial(
        _section,
        y,
        proba,
        task=task,
        n_boot=n_boot,
        alpha=alpha,
        min_n=min_group_size,
        n_bins=n_bins,
        specificities=specificities,
    )
    built = {"overall": section(np.ones(len(y), bool), seed)}
    for name in GROUPS:
        built[name] = section(groups == name, seed + zlib.crc32(name.encode()))
    for t in TYPES:
        built[f"type {t}"] = section(types == t, seed + t)
    fingerprint = hashlib.sha256(
        y.tobytes() + json.dumps(groups.tolist()).encode() + types.tobytes()
    ).hexdigest()
    return {
        "task": task.name,
        "classes": list(task.classes),
        "n": int(len(y)),
        "n_fitzpatrick_unknown": int(np.sum(groups == "")),
        "n_group_only": int(np.sum((groups != "") & (types == 0))),
        "bootstrap": {"n_boot": n_boot, "alpha": alpha, "seed": seed},
        "min_group_size": min_group_size,
        "eval_fingerprint": fingerprint,
        "overall": _public(built["overall"]),
        "groups": {g: _public(built[g]) for g in GROUPS},
        "types": {str(t): _public(built[f"type {t}"]) for t in TYPES},
        "gap": {
            m: _gap(m, {g: built[g] for g in GROUPS}, alpha)
            for m in _metric_fns(task, specificities)
        },
    }


def _malignancy_score(proba: np.ndarray, task) -> np.ndarray:
    if task.name == "malignancy":
        return proba[:, 1]
    return proba[:, [DX7_CLASSES.index(d) for d in sorted(MALIGNANT_DX)]].sum(1)


def _malignant(y: np.ndarray, task) -> np.ndarray:
    if task.name == "malignancy":
        return y == 1
    return np.isin(y, [DX7_CLASSES.index(d) for d in MALIGNANT_DX])


def _metric_fns(task, specificities) -> dict:
    """name -> fn(y, proba). Malignancy ones use the summed malignant classes for dx7."""

    def on_malignancy(fn):
        return lambda y, p: fn(_malignant(y, task), _malignancy_score(p, task))

    fns = {
        "accuracy": lambda y, p: M.accuracy(y, p.argmax(1)),
        "balanced_accuracy": lambda y, p: M.balanced_accuracy(y, p.argmax(1)),
        "auc": on_malignancy(M.roc_auc) if task.is_binary else M.macro_auc,
    }
    if not task.is_binary:
        fns["malignancy_auc"] = on_malignancy(M.roc_auc)
    for s in specificities:
        fns[f"sensitivity_at_specificity_{s:g}"] = on_malignancy(
            partial(M.sensitivity_at_specificity, specificity=s)
        )
    if task.is_binary:  # calibration of P(malignant)
        fns["ece"] = lambda y, p: M.expected_calibration_error(p[:, 1], y == 1)
    else:  # top-label calibration
        fns["ece"] = lambda y, p: M.expected_calibration_error(p.max(1), p.argmax(1) == y)
    return fns


def _section(y, proba, mask, seed, *, task, n_boot, alpha, min_n, n_bins, specificities):
    y, proba = y[mask], proba[mask]
    n, pred = len(y), proba.argmax(1)
    n_mal = int(_malignant(y, task).sum())
    out = {
        "n": n,
        "counts": {c: int(np.sum(y == i)) for i, c in enumerate(task.classes)},
        "n_malignant": n_mal,
        "confusion_matrix": M.confusion_matrix(y, pred, task.num_classes).tolist(),
    }
    if n < min_n:
        reason = f"{n} images, fewer than the {min_n} needed for metrics with intervals"
        return {**out, "insufficient": True, "reason": reason, "estimates": {}}
    estimates = {}
    for name, fn in _metric_fns(task, specificities).items():
        ranked = "auc" in name or name.startswith("sensitivity")
        if ranked and min(n_mal, n - n_mal) < MIN_PER_CLASS:
            estimates[name] = M.Estimate(
                None,
                None,
                None,
                n,
                insufficient=True,
                reason=f"{n_mal} malignant and {n - n_mal} benign images; "
                f"{MIN_PER_CLASS} of each needed",
            )
            continue
        estimates[name] = M.bootstrap_ci(
            fn, y, proba, n_boot=n_boot, seed=seed, alpha=alpha, min_n=min_n
        )
    conf, hit = (proba[:, 1], y == 1) if task.is_binary else (proba.max(1), pred == y)
    return {
        **out,
        "insufficient": False,
        "estimates": estimates,
        "reliability": M.reliability_bins(conf, hit, n_bins),
    }


def _public(section: dict) -> dict:
    out = {k: v for k, v in section.items() if k != "estimates"}
    if not section["insufficient"]:
        out["metrics"] = {k: e.as_dict() for k, e in section["estimates"].items()}
    return out


def _gap(metric: str, sections: dict, alpha: float) -> dict:
    """Best- minus worst-served group. In each resample the best and worst groups are picked
    again, so the interval carries the uncertainty of which groups they are."""
    usable = {
        g: s["estimates"][metric]
        for g, s in sections.items()
        if not s["insufficient"] and s["estimates"][metric].point is not None
    }
    left_out = sorted(set(sections) - set(usable))
    if len(usable) < 2:
        return {
            "available": False,
            "left_out": left_out,
            "reason": f"{len(usable)} group(s) with enough images; 2 needed",
        }
    sign = -1 if metric in LOWER_IS_BETTER else 1
    best = max(usable, key=lambda g: sign * usable[g].point)
    worst = min(usable, key=lambda g: sign * usable[g].point)
    gap = abs(usable[best].point - usable[worst].point)
    out = {
        "available": True,
        "best": best,
        "worst": worst,
        "gap": gap,
        "best_value": usable[best].point,
        "worst_value": usable[worst].point,
        "left_out": left_out,
    }
    replicates = [e.replicates for e in usable.values()]
    if all(r is not None for r in replicates):
        table = np.column_stack(replicates)  # n_boot x groups, each group resampled on its own
        table = table[~np.isnan(table).any(1)]
        if len(table) >= len(replicates[0]) / 2:
            names = list(usable)
            diff = table.max(1) - table.min(1)
            picked = (sign * table).argmax(1)
            lo, hi = np.quantile(diff, [alpha / 2, 1 - alpha / 2])
            out.update(
                lo=float(lo),
                hi=float(hi),
                best_share={g: float(np.mean(picked == i)) for i, g in enumerate(names)},
            )
    return out


def compare(report_a: dict, report_b: dict, *, names=("real_only", "real_plus_synthetic")):
    """Two audits of the same evaluation set side by side, with b - a for each point estimate."""
    if report_a["task"] != report_b["task"]:
        raise ValueError(f"cannot compare a {report_a['task']} audit with a {report_b['task']} one")
    if report_a["eval_fingerprint"] != report_b["eval_fingerprint"]:
        raise ValueError("the two audits were run on different evaluation sets; not comparable")
    a_name, b_name = names
    sections = {"overall": (report_a["overall"], report_b["overall"])}
    sections.update({g: (report_a["groups"][g], report_b["groups"][g]) for g in GROUPS})
    sections.update(
        {f"type {t}": (report_a["types"][t], report_b["types"][t]) for t in report_a["types"]}
    )
    table = {}
    for name, (sa, sb) in sections.items():
        rows = {"n": sa["n"]}
        for metric in sa.get("metrics", {}) or sb.get("metrics", {}):
            ea, eb = sa.get("metrics", {}).get(metric, {}), sb.get("metrics", {}).get(metric, {})
            pa, pb = ea.get("point"), eb.get("point")
            rows[metric] = {
                a_name: ea or None,
                b_name: eb or None,
                "difference": None if pa is None or pb is None else pb - pa,
            }
        table[name] = rows
    gaps = {}
    for metric, ga in report_a["gap"].items():
        gb = report_b["gap"].get(metric, {})
        both = ga.get("available") and gb.get("available")
        gaps[metric] = {
            a_name: ga,
            b_name: gb,
            "difference": gb["gap"] - ga["gap"] if both else None,
        }
    return {
        "task": report_a["task"],
        "names": list(names),
        "n": report_a["n"],
        "sections": table,
        "gap": gaps,
    }


def audit_classifier(trained, records, **options) -> dict:
    """Predict on labelled records (a held-out split or an external set) and audit."""
    y = [r.label(trained.task) for r in records]
    fitz = [r.fitzpatrick if r.fitzpatrick is not None else r.fitzpatrick_group for r in records]
    return audit(y, predict_proba(trained, records), fitz, task=trained.task, **options)


def format_table(report: dict, metrics=("accuracy", "balanced_accuracy", "auc")) -> str:
    """Compact text table: one line per section with n and each metric as point [lo, hi]."""

    def cell(est):
        if est is None:
            return "-"
        if est.get("insufficient"):
            return "too few"
        return f"{est['point']:.2f} [{est['lo']:.2f},{est['hi']:.2f}]"

    lines = [f"{'':8} {'n':>4}  " + "  ".join(f"{m[:17]:<17}" for m in metrics)]
    rows = [("overall", report["overall"])] + list(report["groups"].items())
    rows += [(f"type {t}", s) for t, s in report["types"].items() if s["n"]]
    for name, sec in rows:
        if sec["insufficient"]:
            cells = [f"too few ({sec['n']})"] * len(metrics)
        else:
            cells = [cell(sec["metrics"].get(m)) for m in metrics]
        lines.append(f"{name:8} {sec['n']:>4}  " + "  ".join(f"{c:<17}" for c in cells))
    for m in metrics:
        gap = report["gap"].get(m, {})
        if gap.get("available"):
            ci = f" [{gap['lo']:.2f},{gap['hi']:.2f}]" if "lo" in gap else ""
            lines.append(
                f"gap {m}: {gap['gap']:.2f}{ci} ({gap['best']} best, {gap['worst']} worst)"
            )
        else:
            lines.append(f"gap {m}: n/a ({gap.get('reason', 'no groups')})")
    return "\n".join(lines)
