"""Running tone-transfer jobs: claim an item, render it, store a SyntheticImage with its files.

Every output is stored in one go: either the row, its files and the item's link all exist, or
none does. Bad input fails the item with a message; the worker carries on."""

import io
import logging

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop
from PIL import Image

from repository.imaging import ImageRejected, decode_mask, decode_rgb, pixel_hash
from repository.job_errors import CLEARED, JobError
from synthesis.models import JobItem, StyleTemplate, SynthesisJob, SyntheticImage
from synthesis.services.files import delete_files, read_stored
from synthesis.services.job_harness import JobRun, job_run, max_attempts
from synthesis.services.jobs import job_refresh_counts
from synthesis.services.segmenters import segmenter_default
from synthesis.services.targets import distributions_for, output_seed, tone_target_build
from synthesis.services.templates import style_template_to_ml

logger = logging.getLogger(__name__)
Status = SynthesisJob.Status
ItemStatus = JobItem.Status


class ItemError(Exception):
    """Bad input for one item: its message (a catalogued msgid with its parameters, then any
    further ones) is shown on the item in the reader's language."""

    def __init__(self, message: str, *more: tuple[str, dict], **params) -> None:
        self.pairs = [(message, params), *more]
        super().__init__(" ".join(m % p if p else m for m, p in self.pairs))


def tone_transfer_run_job(*, job_id: int) -> SynthesisJob | None:
    """Claim the job (or take it over from a dead worker) and run its queued items until none
    is left or it is cancelled."""
    job = job_run(SynthesisJob, job_id, _run_items, what=gettext_noop("tone-transfer job"))
    return job or SynthesisJob.objects.filter(pk=job_id).first()


def _run_items(run: JobRun) -> SynthesisJob:
    job_id, job = run.pk, run.row
    if run.taken_over:
        # The worker died mid-item: its items get another go, unless they keep killing it.
        abandoned = job.items.filter(status=ItemStatus.RUNNING, result__isnull=True)
        abandoned.filter(attempts__gte=max_attempts()).update(
            status=ItemStatus.FAILED,
            finished_at=timezone.now(),
            **JobError.of("item_worker_lost", times=max_attempts()).fields(),
        )
        abandoned.update(status=ItemStatus.QUEUED)
    while not run.should_stop():
        item = job.items.filter(status=ItemStatus.QUEUED).order_by("pk").first()
        if item is None:
            break
        tone_transfer_run_item(item_id=item.pk)
    job_refresh_counts(job_id=job_id)
    job.refresh_from_db()
    if job.items_total and job.items_failed == job.items_total:
        run.fail(JobError.of("all_items_failed", count=job.items_total))
    else:
        run.succeed()
    job.refresh_from_db()
    return job


def tone_transfer_run_item(*, item_id: int) -> SyntheticImage | None:
    """Render one queued item; a second call (or a second worker) finds it claimed and returns."""
    claimed = JobItem.objects.filter(pk=item_id, status=ItemStatus.QUEUED).update(
        status=ItemStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        **CLEARED,
    )
    if not claimed:
        return None
    item = JobItem.objects.select_related("job", "source_image__diagnosis").get(pk=item_id)
    try:
        synthetic = _render_and_store(item)
    except SoftTimeLimitExceeded:
        raise  # the task marks the job (and this item) failed
    except ItemError as exc:
        _item_failed(item, JobError.messages("rejected", exc.pairs))
        return None
    except ValidationError as exc:
        _item_failed(item, JobError.from_exception(exc))
        return None
    except Exception as exc:  # a bug or a broken file: one failed item, not a dead worker
        logger.exception("tone transfer item %s failed", item_id)
        _item_failed(item, JobError.from_exception(exc))
        return None
    job_refresh_counts(job_id=item.job_id)
    return synthetic


def _item_failed(item: JobItem, reason: JobError) -> None:
    JobItem.objects.filter(pk=item.pk, status=ItemStatus.RUNNING).update(
        status=ItemStatus.FAILED, finished_at=timezone.now(), **reason.fields()
    )
    job_refresh_counts(job_id=item.job_id)


def load_source(image) -> tuple[np.ndarray, np.ndarray, dict]:
    """(rgb, lesion mask, where the mask came from) for a stored LesionImage."""
    rgb = decode_rgb(read_stored(image.image.name))
    if image.mask:
        try:
            mask = decode_mask(read_stored(image.mask.name), size=(rgb.shape[1], rgb.shape[0]))
        except ImageRejected as exc:
            raise ItemError(
                gettext_noop("The lesion mask of image #%(image)s is unusable."),
                (exc.message, exc.params),
                image=image.pk,
            ) from None
        return rgb, mask, {"source": image.mask_source or "stored"}
    segmenter = segmenter_default()
    # The image has no mask yet (its analysis has not run): compute one, do not store it here.
    return rgb, segmenter.segment(rgb), {"source": "computed", "segmenter": segmenter.version}


def _templates_for(target: dict, backend: str) -> tuple[dict, list[StyleTemplate]]:
    rows: list[StyleTemplate] = []
    if target["kind"] == "templates":
        ids = [target["template_a"], target["template_b"]]
        found = {t.pk: t for t in StyleTemplate.objects.filter(pk__in=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ItemError(
                gettext_noop("Style template #%(template)s no longer exists."), template=missing[0]
            )
        rows = [found[i] for i in ids]
    elif backend == "magenta":
        # magenta needs a style image for a Fitzpatrick/ITA target: the newest active template
        # of that type, or the one nearest in ITA.
        if target["kind"] == "fitzpatrick":
            row = StyleTemplate.objects.for_fitzpatrick(target["fitzpatrick"]).first()
        else:
            candidates = list(StyleTemplate.objects.active())
            row = min(candidates, key=lambda t: abs(t.ita_deg - target["ita_deg"]), default=None)
        if row is None:
            raise ItemError(
                gettext_noop(
                    "The magenta backend needs a style template for this target; none is active."
                )
            )
        rows = [row]
    return {t.pk: style_template_to_ml(t) for t in rows}, rows


def _texture_for(target: dict, template_rows, draw_seed: int, job_params: dict):
    """(template whose texture the output takes, texture stats of real skin of the target
    type for the realism score). Texture comes only from templates of real skin: for a
    Fitzpatrick target one of its accepted real templates (picked by the output's seed); for
    a templates target the one alpha leans to. Old jobs (no "texture" key) take none."""
    from synthesis.ml.skin_texture import MIN_TEMPLATE_SIDE

    real = StyleTemplate.objects.real_skin()
    skin_type = target.get("fitzpatrick")
    references = []
    if skin_type:
        references = [t.texture for t in real.filter(fitzpatrick=skin_type) if t.texture]
    if not job_params.get("texture"):
        return None, references
    if target["kind"] == "templates":
        chosen = template_rows[0] if float(target["alpha"]) < 0.5 else template_rows[1]
        if chosen.origin != StyleTemplate.Origin.REAL:
            return None, references
        if min(chosen.width, chosen.height) < MIN_TEMPLATE_SIDE:
            raise ItemError(
                gettext_noop(
                    "Style template %(name)s is %(width)s×%(height)s px; texture transfer needs "
                    "at least %(side)s px a side."
                ),
                name=chosen.name,
                width=chosen.width,
                height=chosen.height,
                side=MIN_TEMPLATE_SIDE,
            )
        return chosen, references
    if not skin_type:
        return None, references
    rows = [
        t
        for t in real.filter(fitzpatrick=skin_type).order_by("pk")
        if min(t.width, t.height) >= MIN_TEMPLATE_SIDE
    ]
    return (rows[draw_seed % len(rows)] if rows else None), references


def _patch_of(template: StyleTemplate):
    return decode_rgb(read_stored(template.patch.name))


def _render_and_store(item: JobItem) -> SyntheticImage:
    import torch  # noqa: F401

    from synthesis.ml.lesion_fidelity import lesion_kind_for
    from synthesis.ml.tone_transfer import transfer

    job, source = item.job, item.source_image
    backend = job.params.get("backend", "melanin")
    if backend == "magenta":
        # TensorFlow, which magenta loads, segfaults unless torch and torchvision come first;
        # the other backends never need torchvision, whose import takes seconds.
        import torchvision  # noqa: F401
    params = dict(job.params.get("backend_params") or {})
    seed = int(job.params.get("seed") or 0)
    rgb, mask, mask_info = load_source(source)
    ml_templates, template_rows = _templates_for(item.target, backend)
    if backend == "magenta" and item.target["kind"] != "templates":
        params["style_template"] = ml_templates[template_rows[0].pk]
    # Jobs made before targets were drawn (no draw_targets key) render as they did.
    draw_seed = output_seed(seed, source.pk, item.target_key)
    try:
        distributions = distributions_for(job.params.get("target_distribution"))
        target = tone_target_build(
            item.target,
            ml_templates,
            seed=draw_seed if job.params.get("draw_targets") else None,
            distributions=distributions,
        )
        texture_row, references = _texture_for(item.target, template_rows, draw_seed, job.params)
        result = transfer(
            rgb,
            mask,
            target,
            backend=backend,
            seed=draw_seed,
            modality=source.modality or "dermoscopic",
            lesion_kind=lesion_kind_for(source.diagnosis.code),
            texture_template=None if texture_row is None else _patch_of(texture_row),
            texture_references=references,
            **params,
        )
    except (ValueError, RuntimeError) as exc:
        raise ItemError(
            gettext_noop("The tone transfer could not render this image: %(error)s"), error=exc
        ) from None
    recorded = {**result.params, "mask": mask_info}
    return synthetic_store(
        item=item,
        pixels=result.image,
        backend=result.backend,
        model_version=result.code_version,
        target={**item.target, **result.target.as_dict(), "kind": item.target["kind"]},
        params=recorded,
        seed=seed,  # the job's; the output's own draw seed is in target_draw
        measurements=result.measurements,
        templates=template_rows,
    )


def _encode(pixels: np.ndarray) -> tuple[bytes, bytes, str]:
    image = Image.fromarray(pixels)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    thumb = image.copy()
    size = settings.PIXGEN_THUMBNAIL_SIZE
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="JPEG", quality=85)
    return out.getvalue(), thumb_out.getvalue(), pixel_hash(image)


def synthetic_store(
    *, item: JobItem, pixels, backend, model_version, target, params, seed, measurements, templates
) -> SyntheticImage:
    """Write the files, the row and the item's link together; undo the files if any step fails."""
    content, thumbnail, digest = _encode(pixels)
    source, job = item.source_image, item.job
    stem = f"{digest[:2]}/{digest}-{item.pk}"
    written: list[str] = []
    try:
        written.append(default_storage.save(f"synthetic/{stem}.png", ContentFile(content)))
        written.append(
            default_storage.save(f"synthetic_thumbnails/{stem}.jpg", ContentFile(thumbnail))
        )
        with transaction.atomic():
            synthetic = SyntheticImage.objects.create(
                image=written[0],
                thumbnail=written[1],
                sha256=digest,
                width=pixels.shape[1],
                height=pixels.shape[0],
                method=SyntheticImage.Method.TONE_TRANSFER,
                backend=backend,
                model_version=model_version,
                source_image=source,
                diagnosis_id=source.diagnosis_id,
                fitzpatrick=target.get("fitzpatrick"),
                target=target,
                params=params,
                seed=seed,
                measurements=measurements,
                measured_ita=measurements.get("skin_ita_after"),
                in_band=measurements.get("in_band"),
                target_draw=(target.get("drawn") or {}),
                skin_tone=measurements.get("skin_tone") or {},
                lesion_fidelity=measurements.get("lesion_fidelity") or {},
                lesion_fidelity_ok=(measurements.get("lesion_fidelity") or {}).get("passes"),
                realism_score=(measurements.get("realism") or {}).get("score"),
                realism_band=(measurements.get("realism") or {}).get("band") or "",
                body_site=source.body_site,
                age_bin=source.age_bin,
                sex=source.sex,
                licence=source.licence,
                job=job,
                created_by=job.created_by,
            )
            synthetic.templates.set(templates)
            linked = JobItem.objects.filter(
                pk=item.pk, status=ItemStatus.RUNNING, result__isnull=True
            ).update(status=ItemStatus.SUCCEEDED, result=synthetic, finished_at=timezone.now())
            if not linked:  # someone else finished or failed it meanwhile: keep theirs
                raise ItemError(
                    gettext_noop("Item #%(item)s was finished elsewhere; this output is dropped."),
                    item=item.pk,
                )
    except BaseException:
        delete_files(written)
        raise
    return synthetic
