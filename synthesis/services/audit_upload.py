"""Bias audits as jobs: the page checks the request and queues it; the worker runs the audit
and says which phase it is in. An external set uploaded through the web is checked here
(every row and image, so a mistake is a form error at once) and kept in storage for the
worker, which removes it when the job ends."""

import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from synthesis.models import BiasAudit, ClassifierModel, SynthesisJob
from synthesis.services.classifier_audit import audit_run, classifier_get
from synthesis.services.files import delete_files, names_chosen_twice, read_stored
from synthesis.services.job_harness import JobRun, job_dispatch, job_run
from synthesis.services.permissions import require_synthesis_staff

Status = SynthesisJob.Status
UPLOAD_PREFIX = "audit_uploads"


def _write(folder: Path, name: str, upload) -> None:
    with open(folder / name, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


def _check_upload(model: ClassifierModel, eval_csv, images, names: list[str]) -> None:
    """The same checks the audit makes on the worker, on the uploaded files, now."""
    from synthesis.ml.audit import load_eval_csv

    with tempfile.TemporaryDirectory(prefix="pixgen-audit-") as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        for name, upload in zip(names, images, strict=True):
            _write(folder, name, upload)
        _write(Path(tmp), "eval.csv", eval_csv)
        try:
            load_eval_csv(Path(tmp) / "eval.csv", folder, model.task)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _store_upload(eval_csv, images, names: list[str]) -> dict:
    prefix = f"{UPLOAD_PREFIX}/{uuid.uuid4().hex}"
    written: list[str] = []
    try:
        eval_csv.seek(0)
        written.append(default_storage.save(f"{prefix}/eval.csv", ContentFile(eval_csv.read())))
        stored = {}
        for name, upload in zip(names, images, strict=True):
            upload.seek(0)
            stored[name] = default_storage.save(
                f"{prefix}/images/{name}", ContentFile(upload.read())
            )
            written.append(stored[name])
    except BaseException:
        delete_files(written)
        raise
    return {"csv": written[0], "images": stored}


def audit_job_create(
    *, model: ClassifierModel, user, eval_csv=None, images=None, enqueue: bool = True
) -> SynthesisJob:
    """Queue a bias audit of `model`: on its held-out split, or on an uploaded CSV + images."""
    require_synthesis_staff(user)
    model = classifier_get(version=model.version)
    params = {"model": model.version, "source": "held_out", "eval_name": ""}
    upload = None
    if eval_csv is not None:
        images = list(images or [])
        names = [Path(f.name).name for f in images]
        duplicates = names_chosen_twice(images)
        if duplicates:
            raise ValidationError(
                {"images": _("Image file(s) chosen twice: %(n)s.") % {"n": ", ".join(duplicates)}}
            )
        _check_upload(model, eval_csv, images, names)
        upload = _store_upload(eval_csv, images, names)
        params.update(source="external", eval_name=Path(eval_csv.name).name, upload=upload)
    try:
        with transaction.atomic():
            job = SynthesisJob.objects.create(
                kind=SynthesisJob.Kind.AUDIT,
                created_by=user,
                params=params,
                progress={"phase": "queued"},
            )
            if enqueue:
                from synthesis.tasks import run_audit_task

                job_dispatch(job, run_audit_task)
    except BaseException:
        if upload:
            delete_files([upload["csv"], *upload["images"].values()])
        raise
    return job


@contextmanager
def _local_upload(upload: dict):
    """The stored upload as a local folder for the audit (storage may be S3)."""
    with tempfile.TemporaryDirectory(prefix="pixgen-audit-") as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        for name, stored in upload["images"].items():
            (folder / name).write_bytes(read_stored(stored))
        csv_path = Path(tmp) / "eval.csv"
        csv_path.write_bytes(read_stored(upload["csv"]))
        yield csv_path, folder


def audit_job_run(*, job_id: int) -> BiasAudit | None:
    """Claim a queued audit job (or take over a dead worker's) and run it; None when there is
    nothing to do."""
    return job_run(SynthesisJob, job_id, _audit, what=gettext_noop("bias audit"))


def _audit(run: JobRun) -> BiasAudit | None:
    job = run.row
    if job.progress.get("audit"):  # stored before its worker died
        audit = BiasAudit.objects.filter(pk=job.progress["audit"]).first()
        if audit is not None:
            run.succeed()
            return audit
    params = job.params
    upload = params.get("upload")
    try:
        model = classifier_get(version=params["model"])

        def progress(phase: str, version: str = "") -> None:
            run.progress(phase=phase, version=version)

        if upload:
            with _local_upload(upload) as (csv_path, folder):
                audit = audit_run(
                    model=model,
                    eval_csv=csv_path,
                    eval_images_dir=folder,
                    eval_name=params.get("eval_name", ""),
                    user=job.created_by,
                    progress=progress,
                )
        else:
            audit = audit_run(model=model, user=job.created_by, progress=progress)
        with transaction.atomic():
            done = run.succeed(
                progress={"phase": "done", "audit": audit.pk, "version": model.version}
            )
            if not done:  # cancelled meanwhile: keep no report nobody is waiting for
                audit.delete()
                return None
    finally:
        if upload:
            delete_files([upload["csv"], *upload["images"].values()])
    return audit
