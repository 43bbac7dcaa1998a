"""Augmentation experiment pages: the list with the start form (moderators), one experiment
with its progress, per-group tables and pictures, and its numbers as JSON, CSV and PNG.
Reading is open to everyone (researchers read them); starting and resuming are moderators'."""

import json
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from repository.views.common import apply_errors
from synthesis.forms.experiments import ExperimentForm
from synthesis.ml.fitzpatrick import GROUPS
from synthesis.ml.plot_theme import theme_name
from synthesis.models import AugmentationExperiment
from synthesis.selectors import experiment_get, experiments
from synthesis.services.augmentation import (
    augmentation_experiment_create,
    augmentation_experiment_resume,
)
from synthesis.views.common import require_moderator
from synthesis.views.plot_language import plot_headers, plot_translation

METRICS = ("auc", "balanced_accuracy", "sensitivity_at_specificity", "ece")
PLOT_KINDS = ("auc", "balanced_accuracy", "sensitivity", "ece", "roc", "calibration")


def experiment_list(request, form=None):
    return render(
        request,
        "synthesis/experiment_list.html",
        {
            "experiments": experiments()[:100],
            "form": form or ExperimentForm(),
        },
        status=400 if form is not None else 200,
    )


def _save_uploads(folder: Path, eval_csv, images) -> Path:
    (folder / "images").mkdir()
    for upload in images:
        name = Path(upload.name).name
        with open(folder / "images" / name, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    csv_path = folder / "eval.csv"
    with open(csv_path, "wb") as out:
        for chunk in eval_csv.chunks():
            out.write(chunk)
    return csv_path


@login_required
@require_POST
def experiment_start(request):
    require_moderator(request)
    form = ExperimentForm(request.POST, request.FILES)
    if not form.is_valid():
        return experiment_list(request, form)
    data = form.cleaned_data
    images = request.FILES.getlist("images")
    try:
        with tempfile.TemporaryDirectory(prefix="pixgen-exp-upload-") as tmp:
            csv_path = images_dir = None
            if data["eval_csv"]:
                csv_path = _save_uploads(Path(tmp), data["eval_csv"], images)
                images_dir = Path(tmp) / "images"
            experiment = augmentation_experiment_create(
                user=request.user,
                task=data["task"],
                ratios=data["ratios"],
                seeds=data["seeds"],
                epochs=data["epochs"],
                config=form.config(),
                start=data["start"],
                pretrain_epochs=data["pretrain_epochs"],
                synthetic_selection={"methods": data["methods"]} if data["methods"] else {},
                eval_csv=csv_path,
                eval_images_dir=images_dir,
                eval_name=Path(data["eval_csv"].name).name if data["eval_csv"] else "",
            )
    except ValidationError as exc:
        apply_errors(form, exc)
        return experiment_list(request, form)
    messages.success(request, _("Experiment #%(id)s is queued.") % {"id": experiment.pk})
    return redirect("synthesis-experiment-detail", pk=experiment.pk)


def _section_rows(report: dict, ratio: str) -> list[dict]:
    secs = report["metrics"][ratio]
    effects = report["effects"].get(ratio, {})
    rows = []
    for name, values in secs.items():
        rows.append(
            {
                "name": name,
                "counts": report["sections"][name],
                "cells": [
                    {"est": values.get(m), "effect": effects.get(name, {}).get(m)} for m in METRICS
                ],
            }
        )
    return rows


def _views_of(report: dict) -> dict:
    ratios = list(report["metrics"])
    return {
        "report": report,
        "ratios": [
            {
                "ratio": r,
                "rows": _section_rows(report, r),
                "has_effects": r in report["effects"],
                "gaps": [(m, report["gaps"][r].get(m)) for m in METRICS],
                "synthetic": report.get("runs", {}).get(r, {}),
            }
            for r in ratios
        ],
    }


def experiment_detail(request, pk: int):
    experiment = experiment_get(pk=pk)
    if experiment is None:
        raise Http404
    runs = experiment.runs.select_related("classifier")
    sets = [(name, _views_of(report)) for name, report in experiment.report.items()]
    return render(
        request,
        "synthesis/experiment_detail.html",
        {
            "experiment": experiment,
            "job": experiment.job,
            "runs": runs,
            "sets": sets,
            "metrics": METRICS,
            "plot_kinds": PLOT_KINDS,
            "groups": GROUPS,
            "can_manage": request.user.is_authenticated and request.user.is_moderator,
            "resumable": experiment.job.status in ("failed", "cancelled"),
        },
    )


@login_required
@require_POST
def experiment_resume(request, pk: int):
    require_moderator(request)
    experiment = get_object_or_404(AugmentationExperiment, pk=pk)
    try:
        augmentation_experiment_resume(experiment=experiment, user=request.user)
        messages.success(
            request, _("Experiment #%(id)s resumes; finished runs are kept.") % {"id": pk}
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("synthesis-experiment-detail", pk=pk)


def _finished(pk: int) -> AugmentationExperiment:
    experiment = get_object_or_404(AugmentationExperiment, pk=pk)
    if not experiment.report:
        raise Http404(_("This experiment has no report yet."))
    return experiment


def experiment_json(request, pk: int):
    experiment = _finished(pk)
    body = json.dumps(
        {
            "experiment": experiment.pk,
            "task": experiment.task,
            "plan": experiment.plan,
            "start": experiment.start_record,
            "external": experiment.external.get("name", ""),
            "runs": {
                f"r{r.ratio:g}-s{r.seed}": r.classifier.version if r.classifier else None
                for r in experiment.runs.select_related("classifier")
            },
            "reports": experiment.report,
        },
        indent=1,
        sort_keys=True,
    )
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="experiment-{pk}.json"'
    return response


def experiment_csv(request, pk: int):
    from repository.exporting.tables import csv_line
    from synthesis.ml.experiment.report import table_rows

    experiment = _finished(pk)
    rows = [r for name, rep in experiment.report.items() for r in table_rows(rep, name)]
    # Group and set names can be people's text: the site's CSV rule keeps formulas as text.
    fields = list(rows[0]) if rows else ["set", "ratio", "section", "metric"]
    body = "".join([csv_line(fields), *(csv_line(row.get(f) for f in fields) for row in rows)])
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="experiment-{pk}.csv"'
    return response


@cache_control(max_age=3600, private=False)
def experiment_plot(request, pk: int, source: str, kind: str):
    """One figure of one evaluation set as PNG (?theme=dark for dark pages, ?lang= for the
    labels' language)."""
    from synthesis.ml.experiment.plots import PLOTS

    experiment = _finished(pk)
    report = experiment.report.get(source)
    if report is None or kind not in PLOTS:
        raise Http404
    with plot_translation(request) as language:
        png = PLOTS[kind](report, theme_name(request.GET.get("theme")), gettext)
    response = plot_headers(request, HttpResponse(png, content_type="image/png"), language)
    if request.GET.get("download"):
        response["Content-Disposition"] = (
            f'attachment; filename="experiment-{pk}-{source}-{kind}.png"'
        )
    return response
