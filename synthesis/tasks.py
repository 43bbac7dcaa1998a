"""Celery tasks of the synthesis app: thin wrappers that take primary keys and call services.

A task that fails or runs out of time marks its job FAILED with the reason, then re-raises.
Training tasks are named train_* so that settings route them to the "training" queue."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError

from synthesis.services.jobs import job_fail
from synthesis.services.segmenter_training import segmenter_train_run
from synthesis.services.tone_transfer import tone_transfer_run_job

TONE_JOB_SOFT_LIMIT = settings.PIXGEN_TONE_JOB_TIME_LIMIT
TRAINING_SOFT_LIMIT = settings.PIXGEN_TRAINING_TIME_LIMIT


def _run(service, job_id: int, what: str) -> None:
    try:
        service(job_id=job_id)
    except SoftTimeLimitExceeded:
        job_fail(job_id=job_id, reason=f"The {what} ran past its time limit and was stopped.")
        raise
    except ValidationError as exc:
        job_fail(job_id=job_id, reason=" ".join(exc.messages))
        raise
    except Exception as exc:
        job_fail(job_id=job_id, reason=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(soft_time_limit=TONE_JOB_SOFT_LIMIT, time_limit=TONE_JOB_SOFT_LIMIT + 120)
def run_tone_transfer_job_task(job_id: int) -> None:
    _run(tone_transfer_run_job, job_id, "tone-transfer job")


@shared_task(soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 300)
def train_segmenter_task(job_id: int) -> None:
    _run(segmenter_train_run, job_id, "segmenter training")
