"""Re-measuring the skin tone of every analysed image with the current method, as a job a
moderator starts from the jobs page (the same work as `manage.py remeasure_tone --all`)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from repository.models import LesionImage
from repository.services.analysis import image_tone_remeasure
from synthesis.models import SynthesisJob
from synthesis.services.job_harness import JobRun, job_dispatch, job_run
from synthesis.services.permissions import require_moderator

COUNTS = ("gradable", "not_gradable", "flagged", "failed")


def remeasure_job_create(*, user, enqueue: bool = True) -> SynthesisJob:
    """One job over every analysed image, in id order; progress is kept per image."""
    require_moderator(user)
    ids = list(
        LesionImage.objects.filter(analysis_status=LesionImage.AnalysisStatus.DONE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        raise ValidationError(_("No image has been analysed yet; there is nothing to measure."))
    with transaction.atomic():
        job = SynthesisJob.objects.create(
            kind=SynthesisJob.Kind.REMEASURE_TONE,
            created_by=user,
            params={"image_ids": ids},
            items_total=len(ids),
            progress={"position": 0, **dict.fromkeys(COUNTS, 0)},
        )
        if enqueue:
            from synthesis.tasks import remeasure_tone_task

            job_dispatch(job, remeasure_tone_task)
    return job


def remeasure_run(*, job_id: int) -> SynthesisJob | None:
    """Measure each image of the job from where it stopped (a taken-over job goes on)."""
    return job_run(
        SynthesisJob, job_id, _measure_all, what=gettext_noop("skin-tone re-measurement")
    )


def _measure_all(run: JobRun) -> SynthesisJob:
    ids = run.row.params["image_ids"]
    progress = {k: int((run.row.progress or {}).get(k) or 0) for k in ("position", *COUNTS)}
    errors: list[str] = list((run.row.progress or {}).get("errors") or [])
    for position in range(progress["position"], len(ids)):
        if run.should_stop():
            return run.row  # cancelled or taken over: what is measured stays
        pk = ids[position]
        try:
            image = image_tone_remeasure(image_id=pk)
        except (OSError, ValueError) as exc:  # a missing or unreadable file: go on
            progress["failed"] += 1
            errors = [*errors, f"#{pk}: {exc}"][-20:]
            image = None
        if image is not None:
            gradable = image.tone_measurement.get("gradable")
            progress["gradable" if gradable else "not_gradable"] += 1
            progress["flagged"] += int(bool(image.tone_flagged))
        progress["position"] = position + 1
        run.progress(**progress, errors=errors)
        SynthesisJob.objects.filter(pk=run.pk).update(
            items_done=progress["position"] - progress["failed"], items_failed=progress["failed"]
        )
    run.succeed()
    return run.row
