"""Training a conditional DCGAN on a snapshot of the open database, as a resumable job.

The GanModel version row is made when training starts (status training) and carries the
last checkpoint; a job whose worker died, or that failed or was cancelled, continues the same
version from that checkpoint. It becomes ready only once weights and metrics are stored."""

import io
import time

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image

from repository.job_errors import CLEARED, JobError
from synthesis.ml.dcgan.config import GanConfig
from synthesis.ml.dcgan.plots import plot_losses
from synthesis.models import GanModel, SynthesisJob
from synthesis.services.files import delete_files, read_stored
from synthesis.services.gan_data import gan_snapshot_records, gan_snapshot_take
from synthesis.services.gan_evaluation import evaluation_budget, gan_evaluate
from synthesis.services.job_harness import (
    JobLost,
    JobRun,
    job_dispatch,
    job_requeue,
    job_run,
    model_version_create,
    weights_store,
)
from synthesis.services.permissions import require_moderator

Status = SynthesisJob.Status
Ready = GanModel.Status
LIVE_KEYS = ("step", "epoch", "loss_d", "loss_g", "d_real", "d_fake", "images_per_s")


def gan_job_enqueue(job: SynthesisJob) -> None:
    """Queue a DCGAN job's task after commit (train_* tasks go to the training queue)."""
    from synthesis.tasks import task_for_job

    job_dispatch(job, task_for_job(job))


def gan_train_job_create(
    *,
    user,
    config: dict | None = None,
    include_approved_synthetic: bool = False,
    evaluation: dict | None = None,
    enqueue: bool = True,
) -> SynthesisJob:
    """A moderator asks for a new DCGAN version; checked here, trained by the training worker."""
    require_moderator(user)
    values = {k: v for k, v in (config or {}).items() if v is not None}
    try:
        parsed = GanConfig.from_dict(values)
        budget = evaluation_budget(evaluation, steps=parsed.steps)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Bad training settings: %s") % exc) from None
    with transaction.atomic():
        job = SynthesisJob.objects.create(
            kind=SynthesisJob.Kind.TRAIN_DCGAN,
            created_by=user,
            params={
                "config": parsed.as_dict(),
                "include_approved_synthetic": bool(include_approved_synthetic),
                "evaluation": budget,
            },
            progress={"step": 0, "steps": parsed.steps},
        )
        if enqueue:
            gan_job_enqueue(job)
    return job


def gan_train_resume(*, job: SynthesisJob, user, enqueue: bool = True) -> SynthesisJob:
    """Queue a failed or cancelled training job again; it continues its version's checkpoint."""
    require_moderator(user)
    with transaction.atomic():
        locked = SynthesisJob.objects.select_for_update().get(pk=job.pk)
        if locked.kind != SynthesisJob.Kind.TRAIN_DCGAN:
            raise ValidationError(_("Only DCGAN training jobs can be resumed."))
        if locked.status not in (Status.FAILED, Status.CANCELLED):
            raise ValidationError(_("Only a failed or cancelled training job can be resumed."))
        if GanModel.objects.filter(job=locked, status=Ready.READY).exists():
            raise ValidationError(_("This job's model is already complete."))
        from synthesis.tasks import task_for_job

        job_requeue(SynthesisJob, job.pk, task_for_job(locked) if enqueue else None)
    job.refresh_from_db()
    return job


def _create_version(job, config: GanConfig, snapshot: dict, device: str) -> GanModel:
    return model_version_create(
        GanModel,
        prefix="dcgan",
        image_size=config.image_size,
        config=config.as_dict(),
        data_snapshot=snapshot,
        device=device,
        job=job,
        created_by=job.created_by,
    )


def _load_checkpoint(model: GanModel) -> dict:
    from synthesis.ml.dcgan import generation

    try:
        return generation.load(read_stored(model.checkpoint.name))
    except (OSError, ValueError) as exc:
        raise ValidationError(
            _("The checkpoint of %(v)s cannot be read (%(e)s); it cannot resume.")
            % {"v": model.version, "e": exc}
        ) from None


def gan_train_run(*, job_id: int, device: str | None = None) -> GanModel | None:
    """Train (or continue) the job's version; returns it ready, or None if there was no work
    (finished, cancelled, or a live worker holds it)."""
    return job_run(
        SynthesisJob, job_id, lambda run: _run(run, device), what=gettext_noop("DCGAN training")
    )


def _run(run: JobRun, device) -> GanModel | None:
    from synthesis.ml.device import pick_device

    job = run.row
    config = GanConfig.from_dict(job.params["config"])
    device_name = str(pick_device(device))
    model = GanModel.objects.filter(job=job).first()
    _phase(run, "preparing")
    try:
        if model is None:
            records, snapshot = gan_snapshot_take(
                image_size=config.image_size,
                include_approved_synthetic=job.params.get("include_approved_synthetic", False),
            )
            model = _create_version(job, config, snapshot, device_name)
            resume = None
        elif model.status == Ready.READY:
            _job_succeeded(run, model)
            return model
        else:
            GanModel.objects.filter(pk=model.pk).update(
                status=Ready.TRAINING, device=device_name, **CLEARED
            )
            records = gan_snapshot_records(
                snapshot=model.data_snapshot, image_size=config.image_size
            )
            resume = _load_checkpoint(model) if model.checkpoint else None
        trained = _train(run, model, records, config, resume, device_name)
        if not trained.completed:
            _model_failed(model, JobError.of("cancelled_at_step", n=trained.step))
            return None
        return _complete(run, model, records, trained, device_name)
    except BaseException as exc:
        if model is not None:
            _model_failed(model, JobError.from_exception(exc))
        raise


def _model_failed(model: GanModel, reason: JobError) -> None:
    GanModel.objects.filter(pk=model.pk).exclude(status=Ready.READY).update(
        status=Ready.FAILED, **reason.fields()
    )


def _png(rgb) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()


def _train(run: JobRun, model, records, config, resume, device):
    from synthesis.ml.dcgan import generation

    job = run.row
    from synthesis.ml.dcgan.training import train_gan

    version, live = model.version, dict(job.progress or {})
    live.update(version=version, steps=config.steps, device=device)
    history = list(resume["history"]) if resume else []
    started, base_wall = time.monotonic(), model.wall_seconds

    def beat() -> dict:
        return {"wall_seconds": base_wall + time.monotonic() - started}

    def progress(event: dict) -> None:
        fields = beat()
        grid = event.pop("sample_grid", None)
        if grid is not None:
            name = default_storage.save(
                f"gans/{version}/samples/step-{event['step']:07d}.png", ContentFile(_png(grid))
            )
            old = GanModel.objects.filter(pk=model.pk).values_list("sample_grid", flat=True)[0]
            fields["sample_grid"] = name
            live["sample_step"] = event["step"]
        if "loss_d" in event and (not history or history[-1]["step"] < event["step"]):
            history.append(
                {k: event[k] for k in ("step", "epoch", "loss_d", "loss_g", "d_real", "d_fake")}
            )
            fields["history"] = history
        live.update({k: event[k] for k in LIVE_KEYS if k in event}, phase="training")
        if event.get("images_per_s"):
            # Countable work: the steps left at this run's pace (a resumed run counts from now).
            left = (config.steps - event["step"]) * config.batch_size / event["images_per_s"]
            live["eta_s"] = round(left)
        GanModel.objects.filter(pk=model.pk).update(**fields)
        run.progress(**live)
        if grid is not None and old and old != fields["sample_grid"]:
            delete_files([old])

    def checkpoint(bundle: dict) -> None:
        buffer = io.BytesIO()
        generation.save(bundle, buffer)
        # A new file each time, pointed to only once complete: a kill leaves the last one whole.
        name = default_storage.save(
            f"gans/{version}/checkpoint-{bundle['step']:07d}.pt", ContentFile(buffer.getvalue())
        )
        try:
            with transaction.atomic():
                old = GanModel.objects.select_for_update().get(pk=model.pk).checkpoint.name
                GanModel.objects.filter(pk=model.pk).update(
                    checkpoint=name, step=bundle["step"], **beat()
                )
        except BaseException:
            delete_files([name])
            raise
        if old and old != name:
            delete_files([old])
        live["checkpoint_step"] = bundle["step"]
        run.progress(**live)

    try:
        return train_gan(
            records,
            config,
            device=device,
            resume_from=resume,
            progress=progress,
            checkpoint=checkpoint,
            should_stop=run.should_stop,
        )
    except ValueError as exc:  # e.g. the checkpoint does not fit this job's lineage
        raise ValidationError(_("Training cannot continue: %s") % exc) from None


def _complete(run: JobRun, model, records, trained, device) -> GanModel:
    from synthesis.ml.dcgan import generation

    started = time.monotonic()
    _phase(run, "evaluating", step=trained.step)
    budget = evaluation_budget(run.row.params.get("evaluation"), steps=trained.config.steps)
    metrics = gan_evaluate(records=records, trained=trained, device=device, budget=budget)
    _phase(run, "saving")
    buffer = io.BytesIO()
    generation.save(trained, buffer)
    plot = plot_losses(trained.history, title=f"{model.version} training losses")
    wall = GanModel.objects.filter(pk=model.pk).values_list("wall_seconds", flat=True)[0]
    written: list[str] = []
    try:
        name, digest = weights_store(f"gans/{model.version}/model.pt", buffer.getvalue())
        written.append(name)
        written.append(default_storage.save(f"gans/{model.version}/losses.png", ContentFile(plot)))
        with transaction.atomic():
            if not run.beat(force=True):
                raise ValidationError(_("The job was stopped before its model was stored."))
            GanModel.objects.filter(pk=model.pk).update(
                status=Ready.READY,
                weights=written[0],
                weights_sha256=digest,
                loss_plot=written[1],
                condition_space=trained.conditions.to_dict(),
                history=trained.history,
                metrics={**metrics, "weights_sha256": trained.weights_digest()},
                step=trained.step,
                wall_seconds=wall + time.monotonic() - started,
                device=device,
                **CLEARED,
                finished_at=timezone.now(),
            )
            model.refresh_from_db()
            _job_succeeded(run, model)
    except BaseException:
        delete_files(written)
        raise
    return model


def _phase(run: JobRun, phase: str, **more) -> None:
    """Say on the job what it is doing now, for the page (training, evaluating, saving…); only
    training has a time left."""
    run.progress(phase=phase, **more, forget=() if phase == "training" else ("eta_s",))


def _job_succeeded(run: JobRun, model: GanModel) -> None:
    run.progress(version=model.version, phase="done")
    if not run.succeed():
        raise JobLost(f"DCGAN job #{run.pk} was stopped before its model was stored")
