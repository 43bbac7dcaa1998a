"""DCGAN pages: the model registry, a model's metrics and images, training and generation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.views.common import apply_errors
from synthesis.forms.gans import GenerateForm, TrainGanForm
from synthesis.ml.dcgan.conditions import ConditionSpace
from synthesis.ml.dcgan.plots import plot_losses
from synthesis.ml.plot_theme import theme_name
from synthesis.models import GanModel, SynthesisJob
from synthesis.selectors import registry_versions, training_jobs
from synthesis.services.files import read_stored
from synthesis.services.gan_generation import gan_generate_job_create
from synthesis.services.gan_training import gan_train_job_create, gan_train_resume
from synthesis.views.common import require_moderator, require_staff
from synthesis.views.plot_language import plot_headers, plot_translation

# Lazy: these are read per request, in the reader's language, not once at import.
METRIC_ROWS = (
    ("tone_fidelity", gettext_lazy("Conditional tone fidelity")),
    ("real_tone_fidelity", gettext_lazy("Tone fidelity of the real images")),
    ("diversity", gettext_lazy("Diversity (1 − SSIM)")),
    ("real_diversity", gettext_lazy("Diversity of the real images")),
    ("frechet_distance", gettext_lazy("Fréchet distance (repository encoder)")),
    ("n_generated", gettext_lazy("Images scored")),
)


@login_required
def gan_list(request):
    require_staff(request)
    return render(
        request,
        "synthesis/gan_list.html",
        {
            "models": registry_versions(GanModel),
            "form": TrainGanForm(),
            "jobs": training_jobs(SynthesisJob.Kind.TRAIN_DCGAN),
        },
    )


@login_required
@require_POST
def gan_train(request):
    require_moderator(request)
    form = TrainGanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the training settings."))
        return redirect("synthesis-gans")
    try:
        job = gan_train_job_create(
            user=request.user,
            config=form.config(),
            include_approved_synthetic=form.cleaned_data["include_approved_synthetic"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("synthesis-gans")
    messages.success(request, _("Training job #%(id)s is queued.") % {"id": job.pk})
    return redirect("synthesis-job-detail", pk=job.pk)


def _metric_rows(model: GanModel) -> list[tuple]:
    gan, base = model.metrics.get("dcgan") or {}, model.metrics.get("baseline") or {}
    return [(label, gan.get(key), base.get(key)) for key, label in METRIC_ROWS]


@login_required
def gan_detail(request, version: str):
    require_staff(request)
    model = get_object_or_404(GanModel, version=version)
    form = None
    if model.is_ready:
        form = GenerateForm(
            request.POST or None, space=ConditionSpace.from_dict(model.condition_space)
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                job = gan_generate_job_create(
                    user=request.user,
                    model_version=model.version,
                    conditions=form.conditions(),
                    fill_thin_cells=data["fill_thin_cells"],
                    count=data["count"],
                    seed=data["seed"],
                )
            except (ValidationError, PermissionDenied) as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Generation job #%(id)s is queued.") % {"id": job.pk})
                return redirect("synthesis-job-detail", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    context = {"model": model, "rows": _metric_rows(model), "form": form}
    return render(request, "synthesis/gan_detail.html", context, status=status)


@login_required
def gan_image(request, version: str, kind: str):
    """The latest sample grid, or the loss curves (drawn from the history while training)."""
    require_staff(request)
    model = get_object_or_404(GanModel, version=version)
    theme = theme_name(request.GET.get("theme"))
    if kind == "samples" and model.sample_grid:  # generated skin: never recoloured
        data = read_stored(model.sample_grid.name)
    elif kind == "losses" and model.history:  # drawn here: the page's theme and language
        with plot_translation(request) as language:
            title = gettext("%(version)s training losses") % {"version": model.version}
            data = plot_losses(model.history, title=title, theme=theme, gettext=gettext)
    elif kind == "losses" and model.loss_plot:  # the worker's English, light copy
        data, language = read_stored(model.loss_plot.name), "en"
    else:
        raise Http404(_("No such image yet."))
    response = HttpResponse(data, content_type="image/png")
    if kind == "losses":
        plot_headers(request, response, language)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def gan_resume(request, pk: int):
    require_moderator(request)
    job = get_object_or_404(SynthesisJob, pk=pk)
    try:
        gan_train_resume(job=job, user=request.user)
        messages.success(request, _("Job #%(id)s resumes from its last checkpoint.") % {"id": pk})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("synthesis-job-detail", pk=pk)
