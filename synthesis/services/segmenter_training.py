"""Training a U-Net segmenter on the repository's own image/mask pairs, as a job.

Training data: public images whose mask a person drew or uploaded, plus demo images whose
shipped expert mask is in repository/demo_data (matched by pixel hash)."""

import hashlib
import io
import logging
from functools import cache

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image

from repository.imaging import ImageRejected, decode_mask, decode_rgb, pixel_hash
from repository.models import LesionImage
from repository.services.demo import DEMO_DIR
from synthesis.ml.segmentation_config import SegmenterConfig
from synthesis.models import SegmenterModel, SynthesisJob
from synthesis.services.files import delete_files, read_stored
from synthesis.services.job_harness import (
    JobLost,
    JobRun,
    job_run,
    model_version_create,
    weights_store,
)
from synthesis.services.jobs import job_enqueue
from synthesis.services.permissions import require_moderator

logger = logging.getLogger(__name__)
Status = SynthesisJob.Status
MIN_PAIRS = 4


@cache
def demo_masks() -> dict[str, bytes]:
    """Pixel hash of each shipped demo image -> its expert mask (PNG bytes)."""
    out = {}
    for path in sorted((DEMO_DIR / "images").glob("*.jpg")):
        mask_path = DEMO_DIR / "masks" / f"{path.stem}.png"
        if mask_path.exists():
            with Image.open(path) as img:
                out[pixel_hash(img.convert("RGB"))] = mask_path.read_bytes()
    return out


def training_pairs() -> tuple[list[tuple[np.ndarray, np.ndarray]], dict]:
    """(pairs, data snapshot) from the repository's images with a person's or an expert mask."""
    shipped = demo_masks()
    manual = Q(mask_source=LesionImage.MaskSource.MANUAL) & ~Q(mask="")
    images = LesionImage.objects.public().filter(manual | Q(sha256__in=list(shipped)))
    pairs, ids, shas, skipped = [], [], [], []
    for image in images.order_by("pk"):
        by_person = image.mask and image.mask_source == LesionImage.MaskSource.MANUAL
        try:
            data = read_stored(image.mask.name) if by_person else shipped[image.sha256]
            mask = decode_mask(data, size=(image.width, image.height))
            rgb = decode_rgb(read_stored(image.image.name))
        except (ImageRejected, OSError, KeyError) as exc:
            skipped.append({"image": image.pk, "reason": str(exc)})
            continue
        pairs.append((rgb, mask))
        ids.append(image.pk)
        shas.append(f"{image.pk}:{image.sha256}")
    listing = ",".join(shas)
    snapshot = {
        "image_ids": ids,
        "images": len(ids),
        "sha_list_hash": hashlib.sha256(listing.encode()).hexdigest(),
        "skipped": skipped,
        "taken_at": timezone.now().isoformat(),
    }
    return pairs, snapshot


def segmenter_train_job_create(
    *, user, config: dict | None = None, enqueue: bool = True
) -> SynthesisJob:
    """A moderator asks for a new segmenter; the training queue's worker runs it (unless the
    caller, the CLI, runs it in-process)."""
    require_moderator(user)
    values = {k: v for k, v in (config or {}).items() if v is not None}
    try:
        SegmenterConfig.from_dict(values)
        small = [k for k in ("epochs", "image_size", "batch_size") if int(values.get(k, 1)) < 1]
        if small:
            raise ValueError(f"{', '.join(small)} must be at least 1")
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Bad training settings: %s") % exc) from None
    with transaction.atomic():
        job = SynthesisJob.objects.create(
            kind=SynthesisJob.Kind.TRAIN_SEGMENTER, created_by=user, params={"config": values}
        )
        if enqueue:
            job_enqueue(job)
    return job


def segmenter_train_run(
    *, job_id: int, device: str | None = None, echo=None
) -> SegmenterModel | None:
    """Claim a queued training job (or take over a dead worker's), train, and store a new
    SegmenterModel version with its comparison against the shipped model. `echo(record)`
    also sees each epoch's progress."""
    return job_run(
        SynthesisJob,
        job_id,
        lambda run: _train(run, device, echo),
        what=gettext_noop("segmenter training"),
    )


def _train(run: JobRun, device, echo) -> SegmenterModel | None:
    from synthesis.ml.segmentation_training import save_checkpoint, split_pairs, train_segmenter

    job = run.row
    pairs, snapshot = training_pairs()
    if len(pairs) < MIN_PAIRS:
        raise ValidationError(
            _("Only %(n)s images have a person's or an expert mask; at least %(min)s are needed.")
            % {"n": len(pairs), "min": MIN_PAIRS}
        )
    config = SegmenterConfig.from_dict(job.params.get("config") or {})

    def progress(record: dict) -> None:
        run.progress(
            **{k: record.get(k) for k in ("epoch", "epochs", "loss", "val_dice", "best_val_dice")}
        )
        if echo is not None:
            echo(record)

    train_pairs, val_pairs = split_pairs(pairs, config.val_fraction, config.seed)
    trained = train_segmenter(
        train_pairs,
        config,
        val_pairs=val_pairs,
        device=device,
        progress=progress,
        should_stop=run.should_stop,
    )
    run.require()  # cancelled while training: nothing is stored
    metrics = {k: v for k, v in trained.metrics.items() if k != "history"}
    metrics["history"] = trained.metrics.get("history", [])
    trained.config = _predicting_like_shipped(trained.config)
    comparison = compare_with_shipped(trained, val_pairs)
    buffer = io.BytesIO()
    save_checkpoint(trained, buffer)
    return _store(run, trained, metrics, snapshot, buffer.getvalue(), comparison)


def _predicting_like_shipped(config: SegmenterConfig) -> SegmenterConfig:
    """The new model predicts as the shipped one does (its cut rule and views averaged, as far
    as its own augmentation allows), so that the comparison below measures the weights, not
    the inference settings, and the site serves the model as it was compared."""
    from synthesis.ml.shipped_segmenter import WeightsError, load_shipped

    try:
        return config.predicting_like(load_shipped().config)
    except WeightsError:
        return config


def compare_with_shipped(trained, val_pairs) -> dict:
    """The new model and the shipped one (the classical segmenter when the shipped weights do
    not load) scored on the same held-out pairs, each mask post-processed the same way. The
    new model wins on a higher thresholded Jaccard, the ISIC 2018 Task 1 score."""
    from synthesis.ml.lesion_masks import classical_segmenter
    from synthesis.ml.segmentation_inference import predict_mask
    from synthesis.ml.segmentation_quality import postprocess
    from synthesis.ml.segmentation_scores import score_masks
    from synthesis.ml.shipped_segmenter import SHIPPED_VERSION, WeightsError, load_shipped

    truths = [np.asarray(mask, dtype=bool) for _, mask in val_pairs]
    candidate = [postprocess(predict_mask(trained, rgb, postprocess=False)) for rgb, _ in val_pairs]
    try:
        shipped = load_shipped()
        baseline_name = SHIPPED_VERSION
        baseline = [
            postprocess(predict_mask(shipped, rgb, postprocess=False)) for rgb, _ in val_pairs
        ]
        error = ""
    except WeightsError as exc:
        baseline_name = "classical"
        baseline = [postprocess(classical_segmenter().segment(rgb)) for rgb, _ in val_pairs]
        error = str(exc)
    cand, base = score_masks(candidate, truths), score_masks(baseline, truths)
    return {
        "images": len(val_pairs),
        "metric": "thresholded_jaccard",
        "candidate": cand,
        "baseline": base,
        "baseline_version": baseline_name,
        "baseline_error": error,
        "beats": cand["thresholded_jaccard"] > base["thresholded_jaccard"],
    }


def _store(
    run: JobRun, trained, metrics, snapshot, checkpoint: bytes, comparison
) -> SegmenterModel:
    snapshot = {**snapshot, "data_fingerprint": metrics.get("data_fingerprint")}
    name, digest = weights_store(f"segmenters/job-{run.pk}.pt", checkpoint)
    try:
        with transaction.atomic():
            model = model_version_create(
                SegmenterModel,
                prefix="unet",
                weights=name,
                weights_sha256=digest,
                data_snapshot=snapshot,
                config=trained.config.as_dict(),
                metrics=metrics,
                val_dice=metrics.get("val_dice"),
                wall_seconds=metrics.get("wall_seconds"),
                device=str(metrics.get("device", "")),
                job=run.row,
                comparison=comparison,
                beats_shipped=comparison["beats"],
                created_by=run.row.created_by,
            )
            run.progress(version=model.version, val_dice=model.val_dice)
            if not run.succeed():
                raise JobLost(f"segmenter job #{run.pk} was stopped before its model was stored")
        return model
    except BaseException:
        delete_files([name])
        raise
