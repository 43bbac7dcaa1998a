"""Celery tasks of the repository app: thin wrappers that take primary keys and call services."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from repository.services.analysis import image_analyse, image_analysis_fail


@shared_task(
    soft_time_limit=120,
    time_limit=150,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def analyse_image_task(image_id: int) -> None:
    try:
        image_analyse(image_id=image_id)
    except SoftTimeLimitExceeded:
        image_analysis_fail(image_id=image_id, reason="The analysis took too long and was stopped.")
        raise
    except OperationalError:
        raise  # transient: retried by Celery
    except Exception as exc:
        image_analysis_fail(image_id=image_id, reason=f"{type(exc).__name__}: {exc}")
        raise
