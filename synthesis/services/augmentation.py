"""The augmentation experiment as a job: created with every input checked (nothing is queued
that would fail before training), run by the training worker run by run, each run stored with
the classifier registry, cancelled and resumed without training a finished run again."""

import io
import logging
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from repository.job_errors import CLEARED
from synthesis.models import AugmentationExperiment, AugmentationRun, ClassifierModel, SynthesisJob
from synthesis.services.classifier_records import catalogue_records, local_files
from synthesis.services.files import delete_files
from synthesis.services.job_harness import (
    JobRun,
    job_dispatch,
    job_requeue,
    job_run,
    model_version_create,
    weights_store,
)
from synthesis.services.permissions import require_moderator

logger = logging.getLogger(__name__)
Status = SynthesisJob.Status
KIND = SynthesisJob.Kind.EVALUATE_AUGMENTATION
MAX_SEEDS = 20
# How often a running experiment looks at its job for a cancel (seconds).


def _plan(*, task, ratios, seeds, epochs, config, start, pretrain_epochs):
    from synthesis.ml.classifier.config import ClassifierConfig
    from synthesis.ml.experiment.plan import ExperimentPlan, parse_ratios

    if task not in AugmentationExperiment.Task.values:
        raise ValidationError(
            {
                "task": _("Unknown task %(t)r; expected one of %(all)s.")
                % {"t": task, "all": ", ".join(AugmentationExperiment.Task.values)}
            }
        )
    try:
        ratios = parse_ratios(ratios)
    except ValueError as exc:
        raise ValidationError({"ratios": str(exc)}) from None
    if not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise ValidationError({"seeds": _("Give 1 to %(n)s seeds.") % {"n": MAX_SEEDS}})
    values = {k: v for k, v in (config or {}).items() if v is not None}
    if epochs is not None:
        values["epochs"] = epochs
    if start not in AugmentationExperiment.Start.values:
        raise ValidationError({"start": _("Unknown starting point %(s)r.") % {"s": start}})
    checkpoint = values.pop("checkpoint_path", None)
    try:
        ClassifierConfig.from_dict(values)
        return ExperimentPlan(
            task=task,
            ratios=ratios,
            seeds=tuple(range(seeds)),
            config=values,
            start=start,
            checkpoint_path=checkpoint,
            pretrain_epochs=pretrain_epochs,
        )
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Bad experiment settings: %s") % exc) from None


def _check_inputs(plan, selection: dict, external_records):
    """Run every check the runner makes, on the catalogue as it is now (no image is read)."""
    from synthesis.ml.experiment.plan import ExperimentInputError, prepare

    records, _skipped = catalogue_records(
        task=plan.task, fetch=lambda name: name, with_synthetic=True, synthetic_selection=selection
    )
    try:
        return prepare(records, plan, external=external_records)
    except ExperimentInputError as exc:
        raise ValidationError(exc.problems) from None


def _load_external(csv_path, images_dir, task):
    from synthesis.ml.audit.external import load_eval_csv

    try:
        return load_eval_csv(csv_path, images_dir, task)
    except ValueError as exc:
        raise ValidationError({"eval_csv": str(exc)}) from None


def _store_external(csv_path, records, name: str) -> dict:
    """Copy the checked external set into storage so the worker (any machine) can read it."""
    folder = f"experiments/external/{uuid.uuid4().hex}"
    saved = []
    try:
        saved.append(
            default_storage.save(f"{folder}/eval.csv", ContentFile(Path(csv_path).read_bytes()))
        )
        for r in records:
            saved.append(
                default_storage.save(
                    f"{folder}/images/{Path(r.image).name}", ContentFile(Path(r.image).read_bytes())
                )
            )
    except BaseException:
        delete_files(saved)
        raise
    return {"name": name, "csv": saved[0], "images": saved[1:]}


def augmentation_experiment_create(
    *,
    user,
    task: str,
    ratios="0,1,3,10",
    seeds: int = 5,
    epochs: int | None = None,
    config: dict | None = None,
    start: str = "scratch",
    pretrain_epochs: int = 10,
    synthetic_selection: dict | None = None,
    eval_csv=None,
    eval_images_dir=None,
    eval_name: str = "",
    enqueue: bool = True,
) -> AugmentationExperiment:
    """Check everything, then create the job and its experiment (queued after commit)."""
    require_moderator(user)
    plan = _plan(
        task=task,
        ratios=ratios,
        seeds=seeds,
        epochs=epochs,
        config=config,
        start=start,
        pretrain_epochs=pretrain_epochs,
    )
    selection = synthetic_selection or {}
    if (eval_csv is None) != (eval_images_dir is None):
        raise ValidationError(_("An external set needs both its CSV and its image folder."))
    external_records = None
    if eval_csv is not None:
        external_records = _load_external(eval_csv, eval_images_dir, task)
    _check_inputs(plan, selection, external_records)
    external = {}
    if external_records is not None:
        external = _store_external(eval_csv, external_records, eval_name or Path(eval_csv).name)
    try:
        with transaction.atomic():
            job = SynthesisJob.objects.create(
                kind=KIND,
                created_by=user,
                params={"task": task},
                progress={"run": 0, "runs": len(plan.runs())},
            )
            experiment = AugmentationExperiment.objects.create(
                job=job,
                task=task,
                plan=plan.as_dict(),
                synthetic_selection=selection,
                start=plan.start,
                external=external,
                created_by=user,
            )
            if enqueue:
                _enqueue(job)
    except BaseException:
        delete_files([external["csv"], *external["images"]] if external else [])
        raise
    return experiment


def _enqueue(job: SynthesisJob) -> None:
    from synthesis.tasks import train_augmentation_task

    job_dispatch(job, train_augmentation_task)


def augmentation_experiment_resume(
    *, experiment: AugmentationExperiment, user, enqueue: bool = True
) -> AugmentationExperiment:
    """Queue a cancelled or failed experiment again; its finished runs are kept and skipped."""
    require_moderator(user)
    with transaction.atomic():
        job = SynthesisJob.objects.select_for_update().get(pk=experiment.job_id)
        if job.status not in (Status.FAILED, Status.CANCELLED):
            raise ValidationError(_("Only a cancelled or failed experiment can be resumed."))
        if enqueue:
            from synthesis.tasks import train_augmentation_task

            job_requeue(
                SynthesisJob,
                job.pk,
                train_augmentation_task,
                statuses=[Status.FAILED, Status.CANCELLED],
            )
        else:
            SynthesisJob.objects.filter(pk=job.pk).update(
                status=Status.QUEUED, finished_at=None, **CLEARED
            )
    experiment.refresh_from_db()
    return experiment


@contextmanager
def _external_folder(external: dict):
    """The stored external set as a local CSV and image folder, for as long as it is needed."""
    with tempfile.TemporaryDirectory(prefix="pixgen-exp-") as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        for name in external["images"]:
            with default_storage.open(name, "rb") as src:
                (folder / Path(name).name).write_bytes(src.read())
        csv_path = Path(tmp) / "eval.csv"
        with default_storage.open(external["csv"], "rb") as src:
            csv_path.write_bytes(src.read())
        yield csv_path, folder


class DatabaseStore:
    """The runner's store: each finished run is a READY ClassifierModel and an AugmentationRun,
    written together; the self-supervised checkpoint is a file of the experiment."""

    def __init__(self, experiment: AugmentationExperiment, fetch):
        self.experiment = experiment
        self.fetch = fetch

    def completed(self) -> set[str]:
        from synthesis.ml.experiment.plan import run_key

        runs = self.experiment.runs.values_list("ratio", "seed")
        return {run_key(r, s) for r, s in runs}

    def results(self) -> dict[str, dict]:
        from synthesis.ml.experiment.plan import run_key

        return {run_key(r.ratio, r.seed): r.result for r in self.experiment.runs.all()}

    def save(self, key: str, result: dict, trained) -> None:
        from synthesis.ml.classifier import save_classifier

        buffer = io.BytesIO()
        save_classifier(trained, buffer)
        exp = self.experiment
        name, digest = weights_store(f"classifiers/experiment-{exp.pk}-{key}.pt", buffer.getvalue())
        try:
            with transaction.atomic():
                model = _allocate(
                    exp,
                    status=ClassifierModel.Status.READY,
                    with_synthetic=result["ratio"] > 0,
                    config=trained.config,
                    data_snapshot={
                        **trained.data_snapshot,
                        "split": trained.split,
                        "ml_version": trained.version,
                        "experiment": exp.pk,
                        "synthetic_ratio": result["ratio"],
                    },
                    weights=name,
                    weights_sha256=digest,
                    metrics={
                        **trained.metrics,
                        "start": exp.start_record.get("kind", exp.start),
                    },
                    wall_seconds=result["seconds"],
                    device=str(trained.metrics.get("device", "")),
                )
                AugmentationRun.objects.create(
                    experiment=exp,
                    ratio=result["ratio"],
                    seed=result["seed"],
                    classifier=model,
                    result={**result, "classifier": model.version},
                )
        except BaseException:
            delete_files([name])
            raise

    def load_start(self):
        exp = self.experiment
        if exp.pretrained and exp.start_record:
            return self.fetch(exp.pretrained.name), exp.start_record
        return None

    def save_start(self, state: dict, record: dict) -> str:
        from synthesis.ml.bundles import bundle_bytes

        exp = self.experiment
        name = default_storage.save(
            f"experiments/{exp.pk}/pretrained.pt", ContentFile(bundle_bytes(state))
        )
        AugmentationExperiment.objects.filter(pk=exp.pk).update(
            pretrained=name, start_record=record
        )
        exp.refresh_from_db()
        return self.fetch(name)


def _allocate(experiment, **fields) -> ClassifierModel:
    """The next version of the task in the classifier registry (the harness's one rule)."""
    return model_version_create(
        ClassifierModel,
        prefix=experiment.task,
        task=experiment.task,
        synthetic_selection=experiment.synthetic_selection,
        job=experiment.job,
        **fields,
    )


def augmentation_experiment_run(
    *, job_id: int, device: str | None = None
) -> AugmentationExperiment | None:
    """Claim the queued job (or take over a dead worker's) and run what is not stored yet;
    SUCCEEDED with its report, FAILED with the reason on any error (the harness's rule)."""
    if not SynthesisJob.objects.filter(pk=job_id, kind=KIND).exists():
        return None
    return job_run(
        SynthesisJob,
        job_id,
        lambda run: _run(run, AugmentationExperiment.objects.get(job_id=job_id), device),
        what=gettext_noop("augmentation experiment"),
    )


def _run(run: JobRun, experiment: AugmentationExperiment, device) -> AugmentationExperiment | None:
    from synthesis.ml.experiment.plan import ExperimentInputError, plan_from_dict, prepare
    from synthesis.ml.experiment.runner import (
        build_reports,
        eval_description,
        run_experiment,
        starting_point,
    )

    plan = plan_from_dict(experiment.plan)
    should_stop = run.should_stop

    def progress(event: dict, phase: str = "training") -> None:
        keys = ("run", "runs", "ratio", "seed", "epoch", "epochs", "loss")
        run.progress(phase=phase, **{k: event[k] for k in keys if k in event})

    with local_files() as fetch, _maybe_external(experiment.external) as ext_paths:
        records, _skipped = catalogue_records(
            task=plan.task,
            fetch=fetch,
            with_synthetic=True,
            synthetic_selection=experiment.synthetic_selection,
        )
        external = _load_external(*ext_paths, plan.task) if ext_paths else None
        try:
            prepared = prepare(records, plan, external=external)
        except ExperimentInputError as exc:
            raise ValidationError(exc.problems) from None
        eval_sets = {"held_out": eval_description(prepared.held_out, plan.task)}
        if external is not None:
            eval_sets["external"] = eval_description(external, plan.task)
        if experiment.eval_sets and experiment.eval_sets != eval_sets:
            raise ValidationError(
                _(
                    "The catalogue changed since this experiment started (its evaluation images "
                    "differ); start a new experiment instead of resuming."
                )
            )
        AugmentationExperiment.objects.filter(pk=experiment.pk).update(eval_sets=eval_sets)
        store = DatabaseStore(experiment, fetch)
        checkpoint, record = starting_point(
            prepared,
            store,
            device=device,
            should_stop=should_stop,
            progress=lambda e: progress(e, "pre-training"),
        )
        if record is None:
            return None  # cancelled during pre-training
        if experiment.start_record != record:
            AugmentationExperiment.objects.filter(pk=experiment.pk).update(start_record=record)
            experiment.start_record = record
        try:
            outcome = run_experiment(
                prepared,
                store,
                checkpoint_path=checkpoint,
                device=device,
                should_stop=should_stop,
                progress=progress,
            )
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    if outcome.cancelled:
        return None
    progress({"run": len(plan.runs()), "runs": len(plan.runs())}, "report")
    reports = build_reports(
        plan,
        store.results(),
        eval_sets,
        n_boot=int(settings.PIXGEN_AUDIT_BOOTSTRAP),
        seed=plan.split_seed,
    )
    with transaction.atomic():
        AugmentationExperiment.objects.filter(pk=experiment.pk).update(
            report=reports, finished_at=timezone.now()
        )
        run.succeed(items_total=len(plan.runs()), items_done=len(plan.runs()))
    experiment.refresh_from_db()
    return experiment


@contextmanager
def _maybe_external(external: dict):
    if not external:
        yield None
        return
    with _external_folder(external) as paths:
        yield paths
