"""The demo's synthesis loop, through the ordinary services: tone-transfer and generation jobs
that the worker runs, then two demo reviewers who decide part of the outputs.

Idempotent: a second `make demo` finds the demo's jobs (by their creator, the demo
moderator) and reviews only what is still pending and undecided by that reviewer."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError

from repository.models import LesionImage
from synthesis.ml.fitzpatrick import DARKER
from synthesis.models import GanModel, Review, SynthesisJob, SyntheticImage
from synthesis.services.gan_generation import gan_generate_job_create
from synthesis.services.jobs import job_create_tone_transfer
from synthesis.services.review import review_submit

# Light-range transfers give the blinded test synthetic images to pair with the (light) real
# demo images: it matches like with like, and the demo has no real darker-skin photograph.
LIGHT_TARGET = 2
TONE_IMAGES = 8  # × IV, V, VI = 24 outputs: a few seconds of worker time
LIGHT_IMAGES = 10  # a blinded session of the default 20 images needs 10 light pairs
# Share of outputs the demo reviewers decide; the rest stays in the review queue.
DECIDED_SHARE = 2 / 3
GENERATE_CONDITIONS = (("mel", 5), ("nv", 6), ("bcc", 4), ("akiec", 6))
GENERATE_COUNT = 2
# A job's items run one after another in one worker process, and the demo worker has two:
# the darker-skin transfers go out as two jobs split by target type (16 and 8 outputs), so
# the light-range job (10) runs beside the larger one. Split by type, not by image, each
# process sets up the tone targets and realism references of its own types only.
DARKER_JOBS = (DARKER[:2], DARKER[2:])


@dataclass
class DemoReviewCounts:
    approved: int = 0
    rejected: int = 0
    pending: int = 0


def _demo_jobs(moderator):
    return SynthesisJob.objects.filter(created_by=moderator).order_by("pk")


def _spread(images: list, count: int) -> list:
    """`count` images spread over the list (so over the diagnoses, which the list is sorted by)."""
    if len(images) <= count:
        return images
    step = len(images) / count
    return [images[int(i * step)] for i in range(count)]


def demo_jobs_start(*, moderator, gan_model: GanModel | None) -> list[SynthesisJob]:
    """Queue the demo's jobs once: darker-skin and light-range transfers, and a generation."""
    existing = list(_demo_jobs(moderator))
    if existing:
        return existing
    public = list(
        LesionImage.objects.public().select_related("diagnosis").order_by("diagnosis__code", "pk")
    )
    darker = _spread(public, TONE_IMAGES)
    rest = [image for image in public if image not in darker]
    sets = [(darker, targets) for targets in DARKER_JOBS]
    sets.append((_spread(rest, LIGHT_IMAGES), (LIGHT_TARGET,)))
    jobs = [
        job_create_tone_transfer(
            user=moderator,
            targets=[{"kind": "fitzpatrick", "fitzpatrick": f} for f in targets],
            image_ids=[image.pk for image in images],
        )
        for images, targets in sets
    ]
    if gan_model is not None:
        jobs.append(
            gan_generate_job_create(
                user=moderator,
                model_version=gan_model.version,
                conditions=[{"diagnosis": dx, "fitzpatrick": f} for dx, f in GENERATE_CONDITIONS],
                count=GENERATE_COUNT,
                seed=0,
            )
        )
    return jobs


def demo_jobs_wait(
    jobs: list[SynthesisJob],
    *,
    timeout_s: float,
    report: Callable[[str], None] | None = None,
    poll_s: float = 0.5,
    report_every_s: float = 5.0,
) -> bool:
    """Wait for the worker to finish the jobs, reporting progress when a job changes state and
    every few seconds in between; False when time ran out first."""
    deadline = time.monotonic() + timeout_s
    last_statuses, last_report = None, 0.0
    while True:
        rows = list(SynthesisJob.objects.filter(pk__in=[j.pk for j in jobs]).order_by("pk"))
        statuses = [j.status for j in rows]
        now = time.monotonic()
        due = statuses != last_statuses or now - last_report >= report_every_s
        if report is not None and due:
            report(
                " · ".join(
                    f"#{j.pk} {j.get_kind_display()}: {j.get_status_display().lower()} "
                    f"{j.items_done}/{j.items_total}"
                    for j in rows
                )
            )
            last_statuses, last_report = statuses, now
        if all(status in SynthesisJob.FINISHED for status in statuses):
            return True
        if now > deadline:
            return False
        time.sleep(poll_s)


def _decision(synthetic: SyntheticImage) -> tuple[str, bool, str]:
    """Approve an output whose measured skin tone fell in the target's band; reject the rest
    with the reason a reviewer would give."""
    in_band = synthetic.in_band is not False
    if in_band:
        return Review.Decision.APPROVE, True, ""
    return Review.Decision.REJECT, False, "Demo review: the measured skin tone misses the target."


def demo_reviews_apply(*, reviewers: list, moderator) -> DemoReviewCounts:
    """Both demo reviewers decide the first part of the darker-skin transfers (oldest first)."""
    darker = list(
        SyntheticImage.objects.filter(
            job__created_by=moderator,
            method=SyntheticImage.Method.TONE_TRANSFER,
            fitzpatrick__in=DARKER,
        ).order_by("pk")
    )
    decided = darker[: round(len(darker) * DECIDED_SHARE)]
    for synthetic in decided:
        decision, tone_correct, comment = _decision(synthetic)
        for reviewer in reviewers:
            if synthetic.reviews.filter(reviewer=reviewer).exists():
                continue
            try:
                review_submit(
                    synthetic=synthetic,
                    reviewer=reviewer,
                    decision=decision,
                    realism=4 if tone_correct else 2,
                    tone_correct=tone_correct,
                    features_preserved=True,
                    comment=comment,
                )
            except (ValidationError, PermissionDenied):
                continue  # decided meanwhile (e.g. by a person using the demo): keep theirs
    counts = DemoReviewCounts()
    statuses = SyntheticImage.objects.filter(job__created_by=moderator).values_list(
        "status", flat=True
    )
    for status in statuses:
        if status == SyntheticImage.Status.APPROVED:
            counts.approved += 1
        elif status == SyntheticImage.Status.PENDING_REVIEW:
            counts.pending += 1
        else:
            counts.rejected += 1
    return counts
