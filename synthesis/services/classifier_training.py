"""Training a lesion classifier on a snapshot of the open database, as a job.

Real images only, or real plus approved synthetic images chosen by method and model version.
The split depends only on the real images and the seed, so both kinds meet the same test."""

import io
import logging
import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from repository.job_errors import JobError
from synthesis.ml.classifier.config import ClassifierConfig
from synthesis.models import ClassifierModel, SynthesisJob, SyntheticImage
from synthesis.services.classifier_records import catalogue_records, local_files
from synthesis.services.files import delete_files
from synthesis.services.job_harness import (
    JobLost,
    JobRun,
    job_dispatch,
    job_run,
    model_version_create,
    weights_store,
)
from synthesis.services.permissions import require_moderator

logger = logging.getLogger(__name__)
Status = SynthesisJob.Status
MIN_IMAGES = 4
TASKS = tuple(ClassifierModel.Task.values)


def _check_selection(selection: dict | None) -> dict:
    selection = selection or {}
    methods = [str(m) for m in selection.get("methods") or []]
    bad = sorted(set(methods) - set(SyntheticImage.Method.values))
    if bad:
        raise ValidationError(
            {"methods": _("Unknown synthesis method(s): %(m)s.") % {"m": ", ".join(bad)}}
        )
    versions = [str(v).strip() for v in selection.get("model_versions") or [] if str(v).strip()]
    return {"methods": sorted(set(methods)), "model_versions": sorted(set(versions))}


def classifier_train_job_create(
    *,
    user,
    task: str,
    with_synthetic: bool = False,
    synthetic_selection: dict | None = None,
    config: dict | None = None,
    enqueue: bool = True,
) -> SynthesisJob:
    """A moderator asks for a new classifier; the training worker (or the CLI) runs it."""
    require_moderator(user)
    if task not in TASKS:
        raise ValidationError(
            {
                "task": _("Unknown task %(t)r; expected one of %(all)s.")
                % {"t": task, "all": ", ".join(TASKS)}
            }
        )
    values = {k: v for k, v in (config or {}).items() if v is not None}
    try:
        ClassifierConfig.from_dict(values)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Bad training settings: %s") % exc) from None
    if values.get("checkpoint_path"):
        raise ValidationError(_("Bad training settings: a checkpoint path is not accepted here."))
    selection = _check_selection(synthetic_selection) if with_synthetic else {}
    with transaction.atomic():
        job = SynthesisJob.objects.create(
            kind=SynthesisJob.Kind.TRAIN_CLASSIFIER,
            created_by=user,
            params={
                "task": task,
                "with_synthetic": bool(with_synthetic),
                "synthetic_selection": selection,
                "config": values,
            },
        )
        if enqueue:
            _enqueue(job)
    return job


def _enqueue(job: SynthesisJob) -> None:
    from synthesis.tasks import train_classifier_task

    job_dispatch(job, train_classifier_task)


def _allocate(job: SynthesisJob, task: str) -> ClassifierModel:
    """The job's TRAINING row: a new version, or the one a dead worker left behind."""
    left = ClassifierModel.objects.filter(job=job, status=ClassifierModel.Status.TRAINING).first()
    if left is not None:
        return left
    params = job.params
    return model_version_create(
        ClassifierModel,
        prefix=task,
        task=task,
        with_synthetic=params.get("with_synthetic", False),
        synthetic_selection=params.get("synthetic_selection") or {},
        config=params.get("config") or {},
        job=job,
        created_by=job.created_by,
    )


def classifier_train_run(*, job_id: int, device: str | None = None) -> ClassifierModel | None:
    """Claim a queued job (or take over a dead worker's), train, and make its ClassifierModel
    READY (FAILED on any error)."""
    if not SynthesisJob.objects.filter(pk=job_id, kind=SynthesisJob.Kind.TRAIN_CLASSIFIER).exists():
        return None
    return job_run(
        SynthesisJob,
        job_id,
        lambda run: _run(run, device),
        what=gettext_noop("classifier training"),
    )


def _run(run: JobRun, device) -> ClassifierModel | None:
    model = _allocate(run.row, run.row.params["task"])
    try:
        return _train(run, model, device)
    except BaseException as exc:
        ClassifierModel.objects.filter(pk=model.pk, status=ClassifierModel.Status.TRAINING).update(
            status=ClassifierModel.Status.FAILED, **JobError.from_exception(exc).fields()
        )
        raise


def _train(run: JobRun, model: ClassifierModel, device) -> ClassifierModel | None:
    from synthesis.ml.classifier import save_classifier, train_classifier

    started = time.perf_counter()
    config = ClassifierConfig.from_dict(model.config)
    with local_files() as fetch:
        records, skipped = catalogue_records(
            task=model.task,
            fetch=fetch,
            with_synthetic=model.with_synthetic,
            synthetic_selection=model.synthetic_selection,
        )
        real = sum(not r.synthetic for r in records)
        if real < MIN_IMAGES:
            raise ValidationError(
                _("Only %(n)s public images have a label for this task; at least %(min)s needed.")
                % {"n": real, "min": MIN_IMAGES}
            )

        def progress(record: dict) -> None:
            run.progress(**{k: record.get(k) for k in ("epoch", "epochs", "loss", "step", "steps")})

        try:
            trained = train_classifier(
                records,
                config,
                task=model.task,
                device=device,
                progress=progress,
                should_stop=run.should_stop,
            )
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    if not run.beat(force=True):
        raise ValidationError(_("The training job was cancelled; nothing is stored."))
    snapshot = {
        **trained.data_snapshot,
        "record_uids": sorted(r.record_id for r in records),
        "skipped_uids": skipped,
        "split": trained.split,
        "ml_version": trained.version,
        "taken_at": timezone.now().isoformat(),
    }
    buffer = io.BytesIO()
    save_classifier(trained, buffer)
    name, digest = weights_store(f"classifiers/{model.version}.pt", buffer.getvalue())
    try:
        with transaction.atomic():
            ClassifierModel.objects.filter(pk=model.pk).update(
                status=ClassifierModel.Status.READY,
                config=trained.config,
                data_snapshot=snapshot,
                weights=name,
                weights_sha256=digest,
                metrics=trained.metrics,
                wall_seconds=time.perf_counter() - started,
                device=str(trained.metrics.get("device", "")),
            )
            run.progress(version=model.version)
            if not run.succeed():
                raise JobLost(f"classifier job #{run.pk} was stopped before its model was stored")
    except BaseException:
        delete_files([name])
        raise
    model.refresh_from_db()
    return model
