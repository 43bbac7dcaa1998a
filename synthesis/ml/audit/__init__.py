"""Fairness audit of classifiers across Fitzpatrick skin types: metrics, reports, plots."""

from synthesis.ml.audit.external import load_eval_csv
from synthesis.ml.audit.metrics import Estimate, UndefinedMetric, bootstrap_ci
from synthesis.ml.audit.plots import confusion_matrix_png, group_bars_png, reliability_png
from synthesis.ml.audit.report import audit, audit_classifier, compare, format_table

__all__ = [
    "Estimate",
    "UndefinedMetric",
    "audit",
    "audit_classifier",
    "bootstrap_ci",
    "compare",
    "confusion_matrix_png",
    "format_table",
    "group_bars_png",
    "load_eval_csv",
    "reliability_png",
]
