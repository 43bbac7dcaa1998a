"""Audit figures as PNG bytes (Agg canvas, no pyplot state): group bars, confusion, reliability.

Labels go through the `gettext` the caller passes (Django's, inside translation.override), so
a plot reads in the page's language; without one they stay English."""

import io
from collections.abc import Callable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from synthesis.ml.fitzpatrick import GROUPS
from synthesis.ml.plot_theme import plot_style


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def _english(message: str) -> str:
    return message


def _as_named(reports) -> dict:
    return {"model": reports} if "task" in reports else dict(reports)


def group_bars_png(
    reports,
    metric: str = "balanced_accuracy",
    *,
    theme: str = "light",
    metric_label: str = "",
    gettext: Callable[[str], str] = _english,
) -> bytes:
    """Bars per Fitzpatrick group (and overall) with interval whiskers, one colour per report.

    `reports` is one audit report or {name: report}; a group without enough images is labelled
    'too few' with its count instead of being left out. `metric_label` names the metric in
    words (default: its key with spaces).
    """
    with plot_style(theme):
        return _group_bars(reports, metric, metric_label or metric.replace("_", " "), gettext)


def _group_bars(reports, metric: str, label: str, gettext) -> bytes:
    named = _as_named(reports)
    sections = ["overall", *GROUPS]
    fig = Figure(figsize=(1.6 + 1.4 * len(sections), 3.6))
    ax = fig.add_subplot()
    width, labelled = 0.8 / len(named), set()
    for i, (name, report) in enumerate(named.items()):
        for j, sec_name in enumerate(sections):
            sec = report["overall"] if sec_name == "overall" else report["groups"][sec_name]
            x = j - 0.4 + width * (i + 0.5)
            est = (sec.get("metrics") or {}).get(metric)
            if est is None or est.get("insufficient") or est.get("lo") is None:
                ax.text(
                    x,
                    0.02,
                    gettext("too few\nn=%(n)s") % {"n": sec["n"]},
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    rotation=90,
                )
                continue
            err = [[est["point"] - est["lo"]], [est["hi"] - est["point"]]]
            ax.bar(
                x,
                est["point"],
                width,
                yerr=err,
                capsize=3,
                color=f"C{i}",
                label=None if name in labelled else name,
            )
            labelled.add(name)
    ax.set_xticks(range(len(sections)), [gettext("overall"), *GROUPS])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(label)
    if len(labelled) > 1:
        ax.legend(fontsize=8)
    level = round(100 * (1 - next(iter(named.values()))["bootstrap"]["alpha"]))
    title = gettext("%(metric)s by Fitzpatrick group (%(level)s%% interval)")
    ax.set_title(title % {"metric": label, "level": level}, fontsize=9)
    return _png(fig)


def confusion_matrix_png(
    matrix,
    classes,
    *,
    title: str = "",
    theme: str = "light",
    gettext: Callable[[str], str] = _english,
) -> bytes:
    """Row-normalised colours with raw counts written in each cell (rows: true class). The cells
    keep one colour scale in both themes, so a colour means the same share everywhere."""
    with plot_style(theme):
        return _confusion(matrix, classes, title=title, gettext=gettext)


def _confusion(matrix, classes, *, title: str, gettext) -> bytes:
    m = np.asarray(matrix)
    rows = m.sum(1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros(m.shape, float), where=rows > 0)
    fig = Figure(figsize=(1.2 + 0.55 * len(classes), 1.0 + 0.5 * len(classes)))
    ax = fig.add_subplot()
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for (r, c), count in np.ndenumerate(m):
        ax.text(
            c,
            r,
            str(count),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if share[r, c] > 0.5 else "black",
        )
    ax.set_xticks(range(len(classes)), classes, rotation=45, fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    ax.set_xlabel(gettext("predicted class"))
    ax.set_ylabel(gettext("true class"))
    ax.set_title(title, fontsize=9)
    return _png(fig)


def reliability_png(
    bins,
    *,
    title: str = "reliability",
    theme: str = "light",
    gettext: Callable[[str], str] = _english,
) -> bytes:
    """Observed frequency against mean predicted probability per bin; `bins` or {name: bins}."""
    with plot_style(theme) as look:
        return _reliability(bins, title=title, diagonal=look["muted"], gettext=gettext)


def _reliability(bins, *, title: str, diagonal: str, gettext) -> bytes:
    named = {"model": bins} if isinstance(bins, list) else dict(bins)
    fig = Figure(figsize=(4.2, 4.2))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls="--", color=diagonal, lw=1, label=gettext("perfect calibration"))
    for i, (name, rows) in enumerate(named.items()):
        used = [b for b in rows if b["n"]]
        ax.plot(
            [b["mean_probability"] for b in used],
            [b["observed"] for b in used],
            "o-",
            color=f"C{i}",
            label=gettext("%(name)s (%(n)s images)")
            % {"name": name, "n": sum(b["n"] for b in used)},
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(gettext("predicted probability"))
    ax.set_ylabel(gettext("observed frequency"))
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    return _png(fig)
