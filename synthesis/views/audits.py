"""Bias-audit pages, open to everyone (researchers read them): the list, one audit with its
tables and plots, the report as JSON, and the plots as PNG drawn from the stored report."""

import json

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control

from repository.templatetags.plain import metric_label
from synthesis.ml.fitzpatrick import GROUPS
from synthesis.ml.plot_theme import theme_name
from synthesis.models import BiasAudit
from synthesis.selectors import bias_audit_get, bias_audits
from synthesis.views.plot_language import plot_headers, plot_translation

MAIN_METRICS = ("accuracy", "balanced_accuracy", "auc", "ece")


def _rows(report: dict, metrics) -> list[dict]:
    """Overall, the three groups and each type with images: one row each for the table."""
    sections = [("overall", report["overall"])]
    sections += [(g, report["groups"][g]) for g in GROUPS]
    sections += [(f"type {t}", s) for t, s in report["types"].items() if s["n"]]
    return [
        {"name": name, **sec, "cells": [(sec.get("metrics") or {}).get(m) for m in metrics]}
        for name, sec in sections
    ]


def _metric_names(report: dict) -> list[str]:
    names = list(report["gap"])
    return [m for m in MAIN_METRICS if m in names] + [m for m in names if m not in MAIN_METRICS]


def audit_list(request):
    audits = bias_audits()
    return render(request, "synthesis/audit_list.html", {"audits": audits[:200]})


def audit_detail(request, pk: int):
    audit = bias_audit_get(pk=pk)
    if audit is None:
        raise Http404
    main = audit.main
    metrics = _metric_names(main)
    sections = ["overall", *GROUPS]
    return render(
        request,
        "synthesis/audit_detail.html",
        {
            "audit": audit,
            "report": main,
            "metrics": metrics,
            "rows": _rows(main, metrics),
            "gaps": [(m, main["gap"][m]) for m in metrics],
            "comparison": audit.comparison,
            "comparison_rows": _comparison_rows(audit.comparison, metrics),
            "confusion_sections": [s for s in sections if _section(main, s)["n"]],
        },
    )


def _comparison_rows(comparison: dict | None, metrics) -> list[dict]:
    if not comparison or comparison.get("unavailable"):
        return []
    a, b = comparison["names"]
    out = []
    for name, rows in comparison["sections"].items():
        if not rows["n"]:
            continue
        cells = []
        for m in metrics:
            row = rows.get(m) or {}
            cells.append({"a": row.get(a), "b": row.get(b), "difference": row.get("difference")})
        out.append({"name": name, "n": rows["n"], "cells": cells})
    return out


def _section(report: dict, name: str) -> dict:
    if name == "overall":
        return report["overall"]
    if name in report["groups"]:
        return report["groups"][name]
    raise Http404


def audit_json(request, pk: int):
    audit = get_object_or_404(BiasAudit, pk=pk)
    body = json.dumps(
        {
            "audit": audit.pk,
            "model_version": audit.model.version,
            "source": audit.source,
            "eval_name": audit.eval_name,
            "created_at": audit.created_at.isoformat(),
            **audit.report,
        },
        indent=2,
        sort_keys=True,
    )
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="bias-audit-{audit.pk}.json"'
    return response


@cache_control(max_age=3600, private=False)
def audit_plot(request, pk: int, kind: str):
    """bars-<metric>, confusion-<section> or reliability, as PNG (?theme=dark for dark pages,
    ?lang= for the labels' language)."""
    from synthesis.ml.audit import confusion_matrix_png, group_bars_png, reliability_png

    theme = theme_name(request.GET.get("theme"))

    audit = get_object_or_404(BiasAudit, pk=pk)
    main = audit.main
    named = {audit.model.version: main}
    if audit.report.get("partner"):
        named[audit.report["partner_version"]] = audit.report["partner"]
    with plot_translation(request) as language:
        if kind.startswith("bars-"):
            metric = kind.removeprefix("bars-")
            if metric not in main["gap"]:
                raise Http404
            png = group_bars_png(
                named, metric, theme=theme, metric_label=metric_label(metric), gettext=gettext
            )
        elif kind.startswith("confusion-"):
            name = kind.removeprefix("confusion-")
            section = _section(main, name)
            title = gettext("overall") if name == "overall" else name
            png = confusion_matrix_png(
                section["confusion_matrix"],
                main["classes"],
                title=title,
                theme=theme,
                gettext=gettext,
            )
        elif kind == "reliability":
            bins = {
                name: r["overall"]["reliability"]
                for name, r in named.items()
                if r["overall"].get("reliability")
            }
            if not bins:
                raise Http404
            png = reliability_png(
                bins, title=gettext("reliability (overall)"), theme=theme, gettext=gettext
            )
        else:
            raise Http404
    return plot_headers(request, HttpResponse(png, content_type="image/png"), language)
