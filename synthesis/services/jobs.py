"""Synthesis jobs: create (everything checked up front), cancel, remove items, retry, fail."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from repository.job_errors import CLEARED, JobError
from repository.models import Diagnosis
from repository.numbers import ascii_whole
from repository.services.catalogue import catalogue_public_real
from synthesis.ml.fitzpatrick import parse_type
from synthesis.models import JobItem, StyleTemplate, SynthesisJob
from synthesis.services.job_harness import job_dispatch, job_requeue, stale_after
from synthesis.services.permissions import require_synthesis_staff
from synthesis.services.targets import (
    backend_check,
    distribution_check,
    seed_check,
    target_key,
    target_parse,
)

Status = SynthesisJob.Status
ItemStatus = JobItem.Status
FILTER_KEYS = ("diagnosis", "fitzpatrick", "body_site", "modality", "request")


def max_job_items() -> int:
    return int(settings.PIXGEN_SYNTHESIS_MAX_JOB_ITEMS)


def images_select(*, image_filter: dict | None = None, image_ids=None):
    """Public images matching the image list's filters and/or an explicit list of ids."""
    # Checked here for the job's own messages, then read through the catalogue like the
    # gallery, the API and exports.
    images = catalogue_public_real(_filter_check(image_filter))
    if image_ids:
        try:
            ids = [int(i) for i in image_ids]
        except (TypeError, ValueError):
            raise ValidationError({"image_ids": _("Image ids are whole numbers.")}) from None
        images = images.filter(pk__in=ids)
        missing = sorted(set(ids) - set(images.values_list("pk", flat=True)))
        if missing:
            raise ValidationError(
                {
                    "image_ids": _("Not public (or no such image): %(ids)s.")
                    % {"ids": ", ".join(f"#{i}" for i in missing)}
                }
            )
    return images.order_by("pk")


def _filter_check(image_filter: dict | None) -> dict:
    """The filter's values, each checked: a value that could never match is an error, not a
    database exception."""
    if image_filter is not None and not isinstance(image_filter, dict):
        raise ValidationError({"image_filter": _("The image filter is a JSON object.")})
    values = {k: v for k, v in (image_filter or {}).items() if v not in (None, "")}
    unknown = sorted(str(k) for k in values if k not in FILTER_KEYS)
    if unknown:
        raise ValidationError(
            {
                "image_filter": _("Unknown image filter %(names)s; use %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(FILTER_KEYS)}
            }
        )
    if "fitzpatrick" in values:
        try:
            values["fitzpatrick"] = parse_type(values["fitzpatrick"])
        except ValueError:
            raise ValidationError(
                {"image_filter": _("fitzpatrick must be a Fitzpatrick type 1–6 or I–VI.")}
            ) from None
    if "request" in values:
        values["request"] = ascii_whole(values["request"])
        if not values["request"]:
            raise ValidationError({"image_filter": _("request must be a request number.")})
    return values


def _filter_description(image_filter: dict | None) -> dict:
    out = {}
    for key, value in (image_filter or {}).items():
        if key in FILTER_KEYS and value not in (None, ""):
            out[key] = value.code if isinstance(value, Diagnosis) else str(value)
    return out


def _needs_style_templates(backend: str, targets: list[dict]) -> None:
    """magenta paints a style image: Fitzpatrick targets need an active template of that type."""
    if backend != "magenta":
        return
    for target in targets:
        if (
            target["kind"] == "fitzpatrick"
            and not StyleTemplate.objects.for_fitzpatrick(target["fitzpatrick"]).exists()
        ):
            raise ValidationError(
                {
                    "targets": _(
                        "The magenta backend needs a style template of Fitzpatrick type "
                        "%(t)s; there is none."
                    )
                    % {"t": target["fitzpatrick"]}
                }
            )
        if target["kind"] == "ita" and not StyleTemplate.objects.active().exists():
            raise ValidationError(
                {"targets": _("The magenta backend needs at least one style template.")}
            )


def _texture_templates_fit(targets: list[dict], texture: bool) -> None:
    """A real-skin template a templates target takes texture from must hold the coarsest
    texture band; say so now rather than fail every item."""
    from synthesis.ml.skin_texture import MIN_TEMPLATE_SIDE

    if not texture:
        return
    for target in targets:
        if target["kind"] != "templates":
            continue
        pk = target["template_a"] if target["alpha"] < 0.5 else target["template_b"]
        row = StyleTemplate.objects.filter(pk=pk).first()
        real = row is not None and row.origin == StyleTemplate.Origin.REAL
        if real and min(row.width, row.height) < MIN_TEMPLATE_SIDE:
            raise ValidationError(
                _(
                    "Style template %(name)s is %(w)s×%(h)s px; its texture needs at "
                    "least %(min)s px a side. Choose a larger template."
                )
                % {"name": row.name, "w": row.width, "h": row.height, "min": MIN_TEMPLATE_SIDE}
            )


def job_create_tone_transfer(
    *,
    user,
    targets: list[dict],
    image_filter: dict | None = None,
    image_ids=None,
    backend: str | None = None,
    backend_params: dict | None = None,
    seed: int = 0,
    target_distribution=None,
    draw_targets: bool = True,
    texture: bool = True,
) -> SynthesisJob:
    """One job: every selected public image × every target. Queued after commit."""
    require_synthesis_staff(user)
    errors: dict[str, list] = {}
    parsed: list[dict] = []
    if not targets:
        errors["targets"] = [_("Choose at least one target.")]
    for raw in targets or []:
        try:
            parsed.append(target_parse(raw))
        except ValidationError as exc:
            errors.setdefault("targets", []).extend(exc.messages)
    try:
        backend, backend_params = backend_check(backend, backend_params)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if not errors:
        try:
            _texture_templates_fit(parsed, texture)
        except ValidationError as exc:
            errors.setdefault("targets", []).extend(exc.messages)
        try:
            _needs_style_templates(backend, parsed)
        except ValidationError as exc:
            errors.setdefault("targets", []).extend(exc.messages)
    try:
        seed = seed_check(seed)
    except ValidationError as exc:
        errors.setdefault("seed", []).extend(exc.message_dict["seed"])
    try:
        target_distribution = distribution_check(target_distribution)
    except ValidationError as exc:
        errors.setdefault("target_distribution", []).extend(exc.message_dict["target_distribution"])
    try:
        images = list(images_select(image_filter=image_filter, image_ids=image_ids))
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
        images = []
    if not images and not {"image_ids", "image_filter"} & set(errors):
        errors.setdefault("__all__", []).append(_("No public image matches the selection."))
    unique = {target_key(t): t for t in parsed}
    count = len(images) * len(unique)
    if count > max_job_items():
        errors.setdefault("__all__", []).append(
            _("That is %(n)s outputs; one job may make at most %(max)s. Narrow the selection.")
            % {"n": count, "max": max_job_items()}
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        job = SynthesisJob.objects.create(
            kind=SynthesisJob.Kind.TONE_TRANSFER,
            created_by=user,
            params={
                "backend": backend,
                "backend_params": backend_params,
                "seed": seed,
                # Fitzpatrick targets draw each output's skin colour from real skin of the
                # type (skin_colorimetry); the distribution is the published one unless given.
                "draw_targets": bool(draw_targets),
                # Real skin's texture from accepted real-skin templates, when there are some.
                "texture": bool(texture),
                "target_distribution": target_distribution,
                "targets": list(unique.values()),
                "image_filter": _filter_description(image_filter),
                "image_ids": [i.pk for i in images] if image_ids else None,
            },
            items_total=count,
        )
        JobItem.objects.bulk_create(
            JobItem(job=job, source_image=image, target_key=key, target=target)
            for image in images
            for key, target in unique.items()
        )
        job_enqueue(job)
    return job


def job_enqueue(job: SynthesisJob) -> None:
    """Queue the job's task after commit; with the broker down it waits for the sweep."""
    from synthesis.tasks import task_for_job

    job_dispatch(job, task_for_job(job))


def job_refresh_counts(*, job_id: int) -> None:
    counts = JobItem.objects.filter(job_id=job_id).aggregate(
        total=Count("pk", filter=~Q(status__in=[ItemStatus.REMOVED])),
        done=Count("pk", filter=Q(status=ItemStatus.SUCCEEDED)),
        failed=Count("pk", filter=Q(status=ItemStatus.FAILED)),
    )
    SynthesisJob.objects.filter(pk=job_id).update(
        items_total=counts["total"], items_done=counts["done"], items_failed=counts["failed"]
    )


def job_cancel(*, job: SynthesisJob, user) -> SynthesisJob:
    """Stop a queued or running job: queued items are cancelled; a running item finishes."""
    require_synthesis_staff(user)
    with transaction.atomic():
        updated = SynthesisJob.objects.filter(pk=job.pk, status__in=SynthesisJob.ACTIVE).update(
            status=Status.CANCELLED, finished_at=timezone.now()
        )
        if not updated:
            raise ValidationError(_("Job #%(id)s has already finished.") % {"id": job.pk})
        job.items.filter(status=ItemStatus.QUEUED).update(status=ItemStatus.CANCELLED)
    job.refresh_from_db()
    return job


def job_item_remove(*, item: JobItem, user) -> JobItem:
    require_synthesis_staff(user)
    updated = JobItem.objects.filter(pk=item.pk, status=ItemStatus.QUEUED).update(
        status=ItemStatus.REMOVED
    )
    if not updated:
        item.refresh_from_db()
        raise ValidationError(
            _("Only queued items can be removed; item #%(id)s is %(status)s.")
            % {"id": item.pk, "status": item.get_status_display().lower()}
        )
    job_refresh_counts(job_id=item.job_id)
    item.refresh_from_db()
    return item


def job_items_retry(*, job: SynthesisJob, user) -> int:
    """Queue the failed and cancelled items (and any left queued) again and send the job to
    the worker; returns how many items are queued."""
    from synthesis.tasks import task_for_job

    require_synthesis_staff(user)
    if job.kind != SynthesisJob.Kind.TONE_TRANSFER:
        raise ValidationError(_("Only tone-transfer jobs have items to retry."))
    with transaction.atomic():
        locked = SynthesisJob.objects.select_for_update().get(pk=job.pk)
        stuck = locked.status == Status.RUNNING and (
            locked.heartbeat_at is None or locked.heartbeat_at < timezone.now() - stale_after()
        )
        if locked.status == Status.RUNNING and not stuck:
            raise ValidationError(_("The job is still running; retry when it has finished."))
        if stuck:  # its worker died: what it was rendering is queued again with the rest
            locked.items.filter(status=ItemStatus.RUNNING, result__isnull=True).update(
                status=ItemStatus.QUEUED
            )
        retried = locked.items.filter(status__in=[ItemStatus.FAILED, ItemStatus.CANCELLED]).update(
            status=ItemStatus.QUEUED, **CLEARED
        )
        leftover = locked.items.filter(status=ItemStatus.QUEUED).count()
        if not leftover:
            raise ValidationError(_("There are no failed items to retry."))
        if locked.status == Status.QUEUED:  # never reached a worker: send it (again)
            SynthesisJob.objects.filter(pk=job.pk).update(dispatched_at=None)
            job_dispatch(locked, task_for_job(locked))
        else:
            job_requeue(SynthesisJob, job.pk, task_for_job(locked))
        job_refresh_counts(job_id=job.pk)
    job.refresh_from_db()
    return max(retried, leftover)


def job_fail(*, job_id: int, reason: JobError) -> None:
    """Mark an active job FAILED with the reason; an item caught mid-run fails with it."""
    with transaction.atomic():
        SynthesisJob.objects.filter(pk=job_id, status__in=SynthesisJob.ACTIVE).update(
            status=Status.FAILED, finished_at=timezone.now(), **reason.fields()
        )
        JobItem.objects.filter(job_id=job_id, status=ItemStatus.RUNNING).update(
            status=ItemStatus.FAILED, finished_at=timezone.now(), **reason.fields()
        )
    job_refresh_counts(job_id=job_id)
