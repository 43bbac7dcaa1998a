"""Classifier pages: the model list with the training form (moderators), a model's metrics and
its audits. Reading is open to everyone; training and auditing are for synthesis staff."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.views.common import apply_errors
from synthesis.forms.classifiers import AuditForm, TrainClassifierForm
from synthesis.models import ClassifierModel, SynthesisJob
from synthesis.selectors import registry_versions, training_jobs
from synthesis.services.audit_upload import audit_job_create
from synthesis.services.classifier_training import classifier_train_job_create
from synthesis.services.permissions import is_synthesis_staff
from synthesis.views.common import require_moderator, require_staff


def classifier_list(request, form=None):
    return render(
        request,
        "synthesis/classifier_list.html",
        {
            "models": registry_versions(ClassifierModel),
            "form": form or TrainClassifierForm(),
            "jobs": training_jobs(SynthesisJob.Kind.TRAIN_CLASSIFIER),
        },
        status=400 if form is not None else 200,
    )


@login_required
@require_POST
def classifier_train(request):
    require_moderator(request)
    form = TrainClassifierForm(request.POST)
    if not form.is_valid():
        return classifier_list(request, form)
    data = form.cleaned_data
    try:
        job = classifier_train_job_create(
            user=request.user,
            task=data["task"],
            with_synthetic=data["with_synthetic"],
            synthetic_selection=form.selection(),
            config=form.config(),
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return classifier_list(request, form)
    messages.success(request, _("Training job #%(id)s is queued.") % {"id": job.pk})
    return redirect("synthesis-job-detail", pk=job.pk)


def classifier_detail(request, version, form=None):
    model = get_object_or_404(ClassifierModel, version=version)
    return render(
        request,
        "synthesis/classifier_detail.html",
        {
            "model": model,
            "audits": model.audits.select_related("compared_with", "created_by"),
            "form": form or AuditForm(),
            "can_audit": is_synthesis_staff(request.user) and model.is_ready,
            "history": model.metrics.get("history", []),
        },
        status=400 if form is not None else 200,
    )


@login_required
@require_POST
def classifier_audit(request, version):
    require_staff(request)
    model = get_object_or_404(ClassifierModel, version=version)
    form = AuditForm(request.POST, request.FILES)
    if not form.is_valid():
        return classifier_detail(request, version, form)
    external = form.cleaned_data["source"] == "external"
    try:
        job = audit_job_create(
            model=model,
            user=request.user,
            eval_csv=form.cleaned_data["eval_csv"] if external else None,
            images=request.FILES.getlist("images") if external else None,
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return classifier_detail(request, version, form)
    messages.success(request, _("Audit job #%(id)s is queued.") % {"id": job.pk})
    return redirect("synthesis-job-detail", pk=job.pk)
