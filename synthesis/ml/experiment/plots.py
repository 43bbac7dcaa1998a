"""The experiment's figures as PNG bytes (Agg canvas, no pyplot state), light or dark:
a metric against the synthetic ratio per group with intervals, ROC curves per group, and a
calibration (reliability) plot. Groups with too few images say so with their counts.

Labels go through the `gettext` the caller passes (Django's, inside translation.override), so
a figure reads in the page's language; without one they stay English."""

import io
from collections.abc import Callable
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from synthesis.ml.fitzpatrick import GROUPS
from synthesis.ml.plot_theme import plot_style


def gettext_noop(message: str) -> str:
    """Marks a label for the catalogues (makemessages knows this name); drawn through gettext."""
    return message


def _english(message: str) -> str:
    return message


SECTIONS = ("overall", *GROUPS)
LABELS = {
    "auc": gettext_noop("AUC (malignant vs benign)"),
    "balanced_accuracy": gettext_noop("balanced accuracy"),
    "sensitivity_at_specificity": gettext_noop("sensitivity at fixed specificity"),
    "ece": gettext_noop("calibration error (ECE)"),
}


def _section(section: str, gettext) -> str:
    return gettext("overall") if section == "overall" else section


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def metric_png(
    report: dict,
    metric: str = "auc",
    *,
    theme: str = "light",
    gettext: Callable[[str], str] = _english,
) -> bytes:
    """Per-group metric against the synthetic ratio: seed mean with its image interval."""
    if metric not in LABELS:
        raise ValueError(f"unknown metric {metric!r}")
    label = gettext(LABELS[metric])
    with plot_style(theme) as t:
        ratios = list(report["metrics"])
        fig = Figure(figsize=(6.4, 3.8))
        ax = fig.add_subplot()
        for i, section in enumerate(SECTIONS):
            counts = report["sections"].get(section) or {}
            if not counts.get("n"):
                continue
            ests = [report["metrics"][r].get(section, {}).get(metric, {}) for r in ratios]
            if any(e.get("too_few") for e in ests):
                ax.plot(
                    [],
                    [],
                    " ",
                    label=gettext("%(section)s: too few (%(pos)s+ / %(neg)s-)")
                    % {
                        "section": _section(section, gettext),
                        "pos": counts["n_pos"],
                        "neg": counts["n_neg"],
                    },
                )
                continue
            x = [j + (i - 1.5) * 0.06 for j in range(len(ratios))]
            y = [e["point"] for e in ests]
            err = [
                [e["point"] - (e["lo"] if e["lo"] is not None else e["point"]) for e in ests],
                [(e["hi"] if e["hi"] is not None else e["point"]) - e["point"] for e in ests],
            ]
            ax.errorbar(
                x,
                y,
                yerr=err,
                marker="o",
                capsize=3,
                label=_section(section, gettext),
                color=f"C{i}",
            )
        ax.set_xticks(range(len(ratios)), ratios)
        ax.set_xlabel(gettext("approved synthetic images per real image"))
        ax.set_ylabel(label)
        if metric == "auc":
            ax.axhline(0.5, color=t["muted"], ls=":", lw=1)
        level = round(100 * (1 - report["bootstrap"]["alpha"]))
        title = gettext(
            "%(metric)s by Fitzpatrick group, %(seeds)s seed(s), %(level)s%% interval over images"
        )
        ax.set_title(
            title % {"metric": label, "seeds": len(report["seeds"]), "level": level}, fontsize=9
        )
        ax.legend(fontsize=7, loc="best")
        ax.grid(True, alpha=0.5)
        return _png(fig)


def _compared(report: dict) -> list[str]:
    ratios = list(report["metrics"])
    return ratios if len(ratios) <= 2 else [ratios[0], ratios[-1]]


def roc_png(
    report: dict, *, theme: str = "light", gettext: Callable[[str], str] = _english
) -> bytes:
    """ROC per group (seed-mean scores): real only dashed, the largest ratio solid."""
    with plot_style(theme) as t:
        fig = Figure(figsize=(4.6, 4.4))
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], ls=":", color=t["muted"], lw=1)
        shown = _compared(report)
        for i, section in enumerate(SECTIONS):
            for k, ratio in enumerate(shown):
                curve = report["curves"].get(ratio, {}).get(section, {}).get("roc")
                if not curve:
                    continue
                fpr, tpr = zip(*curve, strict=True)
                ax.plot(
                    fpr,
                    tpr,
                    ls="--" if k == 0 and len(shown) > 1 else "-",
                    color=f"C{i}",
                    lw=1.4,
                    label=gettext("%(section)s, ratio %(ratio)s")
                    % {"section": _section(section, gettext), "ratio": ratio},
                )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel(gettext("false positive rate (1 - specificity)"))
        ax.set_ylabel(gettext("sensitivity"))
        ax.set_title(gettext("ROC per Fitzpatrick group (mean over seeds)"), fontsize=9)
        ax.legend(fontsize=6, loc="lower right")
        return _png(fig)


def calibration_png(
    report: dict, *, theme: str = "light", gettext: Callable[[str], str] = _english
) -> bytes:
    """Observed frequency against predicted probability per group (bins with images only)."""
    with plot_style(theme) as t:
        fig = Figure(figsize=(4.6, 4.4))
        ax = fig.add_subplot()
        ax.plot(
            [0, 1], [0, 1], ls=":", color=t["muted"], lw=1, label=gettext("perfect calibration")
        )
        shown = _compared(report)
        for i, section in enumerate(SECTIONS):
            for k, ratio in enumerate(shown):
                bins = report["curves"].get(ratio, {}).get(section, {}).get("reliability")
                if not bins:
                    continue
                ax.plot(
                    [b["mean_probability"] for b in bins],
                    [b["observed"] for b in bins],
                    "o" + ("--" if k == 0 and len(shown) > 1 else "-"),
                    color=f"C{i}",
                    ms=3,
                    lw=1.2,
                    label=gettext("%(section)s, ratio %(ratio)s (%(n)s images)")
                    % {
                        "section": _section(section, gettext),
                        "ratio": ratio,
                        "n": sum(b["n"] for b in bins),
                    },
                )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel(gettext("predicted probability"))
        ax.set_ylabel(gettext("observed frequency"))
        ax.set_title(gettext("Calibration per Fitzpatrick group"), fontsize=9)
        ax.legend(fontsize=6, loc="upper left")
        return _png(fig)


PLOTS = {
    "auc": lambda r, theme, gt=_english: metric_png(r, "auc", theme=theme, gettext=gt),
    "balanced_accuracy": lambda r, theme, gt=_english: metric_png(
        r, "balanced_accuracy", theme=theme, gettext=gt
    ),
    "sensitivity": lambda r, theme, gt=_english: metric_png(
        r, "sensitivity_at_specificity", theme=theme, gettext=gt
    ),
    "ece": lambda r, theme, gt=_english: metric_png(r, "ece", theme=theme, gettext=gt),
    "roc": lambda r, theme, gt=_english: roc_png(r, theme=theme, gettext=gt),
    "calibration": lambda r, theme, gt=_english: calibration_png(r, theme=theme, gettext=gt),
}


def write_figures(
    reports: dict, folder, *, theme: str = "light", gettext: Callable[[str], str] = _english
) -> list[Path]:
    """Every figure of every evaluation set as <set>-<kind>.png in folder."""
    written = []
    for name, report in reports.items():
        for kind, draw in PLOTS.items():
            path = Path(folder) / f"{name}-{kind}.png"
            path.write_bytes(draw(report, theme, gettext))
            written.append(path)
    return written
