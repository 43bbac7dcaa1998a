"""Generating images with a ready DCGAN version, as a job: rows pending review.

Each image records the model version, the conditions, the seed, the count and its index, so
`generate(model, conditions, count, seed)[index]` gives it again; the same job inputs give
the same pixels. Conditions are any the model was trained on, or "the thin cells": every
Fitzpatrick IV–VI cell of the coverage matrix that is empty or thin and that the model can
produce."""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image

from repository.imaging import pixel_hash
from repository.models import Diagnosis
from repository.services.coverage import coverage_matrix
from repository.vocabulary import BodySite, Sex
from synthesis.ml.dcgan.conditions import ConditionSpace
from synthesis.ml.fitzpatrick import DARKER
from synthesis.models import GanModel, SynthesisJob, SyntheticImage
from synthesis.services.files import delete_files, read_stored
from synthesis.services.gan_training import gan_job_enqueue
from synthesis.services.job_harness import JobRun, job_run
from synthesis.services.permissions import require_synthesis_staff

Status = SynthesisJob.Status


def max_count() -> int:
    return int(settings.PIXGEN_GENERATION_MAX_COUNT)


def gan_model_ready(*, version: str) -> GanModel:
    model = GanModel.objects.filter(version=(version or "").strip()).first()
    if model is None:
        raise ValidationError({"model": _("There is no DCGAN model %(v)s.") % {"v": version}})
    if not model.is_ready:
        raise ValidationError(
            {
                "model": _("Model %(v)s is not ready (it is %(s)s).")
                % {"v": version, "s": model.get_status_display().lower()}
            }
        )
    return model


def gan_conditions_check(*, model: GanModel, conditions: list[dict]) -> list[dict]:
    """Normalised conditions; ValidationError naming one the model had no images of."""
    space = ConditionSpace.from_dict(model.condition_space)
    out = []
    for raw in conditions:
        try:
            out.append(space.check_trainable(raw))
        except ValueError as exc:
            raise ValidationError({"conditions": str(exc)}) from None
    return out


def gan_thin_cells(*, model: GanModel) -> list[dict]:
    """Empty or thin Fitzpatrick IV–VI cells of the coverage matrix this model can produce."""
    space = ConditionSpace.from_dict(model.condition_space)
    out = []
    for row in coverage_matrix():
        for cell in row.cells:
            if cell.fitzpatrick in DARKER and cell.level in ("empty", "thin"):
                try:
                    out.append(
                        space.check_trainable(
                            {"diagnosis": row.diagnosis.code, "fitzpatrick": cell.fitzpatrick}
                        )
                    )
                except ValueError:
                    continue  # the model never saw this pair: it cannot fill it honestly
    return out


def _count(value) -> int:
    cap = max_count()
    try:
        count = int(value)
        if count != float(value):
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"count": _("The count must be a whole number.")}) from None
    if not 1 <= count <= cap:
        raise ValidationError(
            {"count": _("The count must be between 1 and %(cap)s.") % {"cap": cap}}
        )
    return count


def _seed(value) -> int:
    try:
        seed = int(value)
        if seed != float(value) or not 0 <= seed < 2**63:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError(
            {"seed": _("The seed must be a non-negative whole number.")}
        ) from None
    return seed


def gan_generate_job_create(
    *,
    user,
    model_version: str,
    conditions: list[dict] | None = None,
    fill_thin_cells: bool = False,
    count,
    seed=0,
    enqueue: bool = True,
) -> SynthesisJob:
    """Check everything up front, then queue one job making `count` images per condition."""
    require_synthesis_staff(user)
    model = gan_model_ready(version=model_version)
    count, seed = _count(count), _seed(seed)
    if fill_thin_cells:
        chosen = gan_thin_cells(model=model)
        if not chosen:
            raise ValidationError(
                {"conditions": _("No thin Fitzpatrick IV–VI cell is one this model can produce.")}
            )
    else:
        if not conditions:
            raise ValidationError({"conditions": _("Choose at least one condition.")})
        chosen = gan_conditions_check(model=model, conditions=conditions)
    chosen = list({_key(c): c for c in chosen}.values())
    missing = {c["diagnosis"] for c in chosen} - set(
        Diagnosis.objects.filter(code__in=[c["diagnosis"] for c in chosen]).values_list(
            "code", flat=True
        )
    )
    if missing:
        raise ValidationError({"conditions": _("Unknown diagnosis: %s") % ", ".join(missing)})
    total, cap = count * len(chosen), int(settings.PIXGEN_SYNTHESIS_MAX_JOB_ITEMS)
    if total > cap:
        raise ValidationError(
            _("That is %(n)s images; one job may make at most %(max)s.") % {"n": total, "max": cap}
        )
    with transaction.atomic():
        job = SynthesisJob.objects.create(
            kind=SynthesisJob.Kind.GENERATE,
            created_by=user,
            params={
                "model": model.version,
                "conditions": chosen,
                "fill_thin_cells": bool(fill_thin_cells),
                "count": count,
                "seed": seed,
            },
            items_total=total,
        )
        if enqueue:
            gan_job_enqueue(job)
    return job


def _key(conditions: dict) -> str:
    return "|".join(
        str(conditions[k]) for k in ("diagnosis", "fitzpatrick", "age_bin", "sex", "body_site")
    )


def gan_generate_run(*, job_id: int, device: str | None = None) -> list[SyntheticImage] | None:
    """Write the job's images (skipping any a previous attempt wrote); None if not runnable."""
    return job_run(
        SynthesisJob,
        job_id,
        lambda run: _generate(run, device),
        what=gettext_noop("DCGAN generation"),
    )


def _generate(run: JobRun, device) -> list[SyntheticImage] | None:
    from synthesis.ml.dcgan import generation

    job, job_id = run.row, run.pk
    params = job.params
    model = gan_model_ready(version=params["model"])
    try:
        trained = generation.load_trained(read_stored(model.weights.name), device=device)
    except (OSError, ValueError) as exc:
        raise ValidationError(
            _("The weights of %(v)s cannot be read (%(e)s).") % {"v": model.version, "e": exc}
        ) from None
    made = []
    for conditions in params["conditions"]:
        if run.should_stop():
            return None  # cancelled: what is written stays, pending review
        images = generation.generate(
            trained, conditions, params["count"], params["seed"], max_count=max_count()
        )
        done = set(
            SyntheticImage.objects.filter(
                job=job, generation_key__startswith=_key(conditions) + "#"
            ).values_list("generation_key", flat=True)
        )
        for index, rgb in enumerate(images):
            key = f"{_key(conditions)}#{index}"
            if key not in done:
                stored = _store(job, model, conditions, index, rgb, key)
                made += [stored] if stored else []
        SynthesisJob.objects.filter(pk=job_id).update(
            items_done=SyntheticImage.objects.filter(job=job).count()
        )
    run.succeed()
    return made


def _encode(rgb) -> tuple[bytes, bytes, str]:
    image = Image.fromarray(rgb)
    out, thumb = io.BytesIO(), io.BytesIO()
    image.save(out, format="PNG")
    image.save(thumb, format="JPEG", quality=90)  # generated images are already thumbnail-sized
    return out.getvalue(), thumb.getvalue(), pixel_hash(image)


def _store(job, model, conditions, index, rgb, key) -> SyntheticImage | None:
    content, thumbnail, digest = _encode(rgb)
    stem = f"{digest[:2]}/{digest}-g{job.pk}-{index}"
    written: list[str] = []
    try:
        written.append(default_storage.save(f"synthetic/{stem}.png", ContentFile(content)))
        written.append(
            default_storage.save(f"synthetic_thumbnails/{stem}.jpg", ContentFile(thumbnail))
        )
        with transaction.atomic():
            return SyntheticImage.objects.create(
                image=written[0],
                thumbnail=written[1],
                sha256=digest,
                width=rgb.shape[1],
                height=rgb.shape[0],
                method=SyntheticImage.Method.DCGAN,
                backend="dcgan",
                model_version=model.version,
                diagnosis=Diagnosis.objects.get(code=conditions["diagnosis"]),
                fitzpatrick=conditions["fitzpatrick"],
                target=dict(conditions),  # no "kind": that names tone-transfer targets
                params={
                    "model_version": model.version,
                    "weights_sha256": model.metrics.get("weights_sha256", ""),
                    "count": job.params["count"],
                    "index": index,
                },
                seed=job.params["seed"],
                body_site=conditions["body_site"]
                if conditions["body_site"] in BodySite.values
                else "",
                sex=conditions["sex"] if conditions["sex"] in Sex.values else Sex.UNKNOWN,
                licence=model.data_snapshot.get("licence", "CC-BY-4.0"),
                job=job,
                created_by=job.created_by,
                conditions=conditions,
                generation_key=key,
            )
    except IntegrityError:  # another attempt wrote this one meanwhile: keep theirs
        delete_files(written)
        return None
    except BaseException:
        delete_files(written)
        raise
