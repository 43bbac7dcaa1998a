from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.views.common import apply_errors
from synthesis.forms.jobs import ToneJobForm
from synthesis.models import JobItem, SynthesisJob
from synthesis.selectors import synthesis_job_get, synthesis_jobs
from synthesis.services.jobs import (
    images_select,
    job_cancel,
    job_create_tone_transfer,
    job_item_remove,
    job_items_retry,
)
from synthesis.services.remeasure import remeasure_job_create
from synthesis.services.targets import target_label
from synthesis.views.common import require_staff


@login_required
def job_list(request):
    require_staff(request)
    jobs = synthesis_jobs()
    page = Paginator(jobs, 30).get_page(request.GET.get("page"))
    return render(request, "synthesis/job_list.html", {"page": page})


@login_required
def job_create(request):
    require_staff(request)
    form = ToneJobForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = job_create_tone_transfer(
                user=request.user,
                targets=form.targets(),
                image_filter=form.image_filter(),
                image_ids=data["image_ids"],
                backend=data["backend"],
                backend_params={"handle": data.get("handle")},
                seed=data["seed"],
                target_distribution=data.get("target_distribution"),
            )
        except (ValidationError, PermissionDenied) as exc:
            apply_errors(form, exc, aliases={"targets": "mode"})
        else:
            messages.success(
                request,
                _("Job #%(id)s is queued: %(n)s outputs.") % {"id": job.pk, "n": job.items_total},
            )
            return redirect("synthesis-job-detail", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "synthesis/job_form.html", {"form": form}, status=status)


@login_required
def job_count(request):
    """JSON for the job form: how many public images the current selection takes, so the form
    can show "N images × M targets = K outputs" before it is submitted."""
    require_staff(request)
    form = ToneJobForm(request.GET)
    form.is_valid()  # the selection fields are read on their own; targets are counted in the page
    data = form.cleaned_data
    errors = {
        k: form.errors[k] for k in ("image_ids", *ToneJobForm.FILTER_FIELDS) if k in form.errors
    }
    if errors:
        return JsonResponse(
            {"error": " ".join(e for errs in errors.values() for e in errs)}, status=400
        )
    try:
        images = images_select(image_filter=form.image_filter(), image_ids=data.get("image_ids"))
        count = images.count()
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"images": count})


@login_required
def job_detail(request, pk: int):
    require_staff(request)
    job = synthesis_job_get(pk=pk)
    if job is None:
        raise Http404
    items = job.items.select_related("source_image", "result").order_by("pk")
    page = Paginator(items, 60).get_page(request.GET.get("page"))
    for item in page:
        item.label = target_label(item.target)
    return render(
        request,
        "synthesis/job_detail.html",
        {
            "job": job,
            "page": page,
            "models": job.segmenter_models.all(),
            "can_retry": job.kind == job.Kind.TONE_TRANSFER
            and job.status != job.Status.RUNNING
            and (job.items_failed or job.items.filter(status=JobItem.Status.QUEUED).exists()),
        },
    )


MAX_TILES = 60  # one page of the detail view


def _tile_ids(raw: str) -> list[int]:
    ids = []
    for part in raw.split(",")[:MAX_TILES]:
        if part.strip().isdigit():
            ids.append(int(part))
    return ids


def _eta_s(job: SynthesisJob) -> int | None:
    """Seconds left at the pace so far, for jobs made of countable items."""
    done = job.items_done + job.items_failed
    if job.status != SynthesisJob.Status.RUNNING or not job.started_at or not done:
        return None
    elapsed = (timezone.now() - job.started_at).total_seconds()
    return max(1, round(elapsed / done * max(job.items_total - done, 0)))


@login_required
def job_progress(request, pk: int):
    """JSON for the detail page: the bar, the counts, an ETA, and the tiles asked for in
    ?tiles=1,2,… drawn again by the server (so they change with the bar)."""
    require_staff(request)
    job = get_object_or_404(SynthesisJob, pk=pk)
    tiles = {}
    ids = _tile_ids(request.GET.get("tiles", ""))
    if ids:
        items = job.items.filter(pk__in=ids).select_related("source_image", "result")
        for item in items:
            item.label = target_label(item.target)
            html = render_to_string(
                "synthesis/_job_item.html", {"item": item, "job": job}, request=request
            )
            tiles[str(item.pk)] = {"status": item.status, "html": html}
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "items_total": job.items_total,
            "items_done": job.items_done,
            "items_failed": job.items_failed,
            "percent": job.percent,
            "progress": job.progress,
            "eta_s": _eta_s(job) if job.items_total else job.progress.get("eta_s"),
            "error": job.error_message,
            "error_code": job.error_code,
            "finished": job.status in SynthesisJob.FINISHED,
            "url": reverse("synthesis-job-detail", args=[job.pk]),
            "tiles": tiles,
        }
    )


@login_required
@require_POST
def job_cancel_view(request, pk: int):
    require_staff(request)
    job = get_object_or_404(SynthesisJob, pk=pk)
    try:
        job_cancel(job=job, user=request.user)
        messages.success(request, _("Job #%(id)s was cancelled.") % {"id": pk})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("synthesis-job-detail", pk=pk)


@login_required
@require_POST
def job_retry_view(request, pk: int):
    require_staff(request)
    job = get_object_or_404(SynthesisJob, pk=pk)
    try:
        count = job_items_retry(job=job, user=request.user)
        messages.success(request, _("%(n)s items are queued again.") % {"n": count})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("synthesis-job-detail", pk=pk)


@login_required
@require_POST
def remeasure_view(request):
    """A moderator re-measures every analysed image's skin tone, as a job with progress."""
    require_staff(request)
    try:
        job = remeasure_job_create(user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        return redirect("synthesis-jobs")
    messages.success(request, _("Job #%(id)s re-measures every image.") % {"id": job.pk})
    return redirect("synthesis-job-detail", pk=job.pk)


@login_required
@require_POST
def item_remove_view(request, pk: int, item_pk: int):
    require_staff(request)
    item = get_object_or_404(JobItem, pk=item_pk, job_id=pk)
    try:
        job_item_remove(item=item, user=request.user)
        messages.success(request, _("Item #%(id)s was removed.") % {"id": item_pk})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("synthesis-job-detail", pk=pk)
