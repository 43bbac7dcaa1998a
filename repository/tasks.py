"""Celery tasks of the repository app: thin wrappers that take primary keys and call services."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from repository.services.analysis import image_analyse, image_analysis_fail
from repository.services.exports import export_build, export_fail
from repository.services.releases import release_build, release_fail


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


# Archive builds are not retried automatically: a half-hour build that fails is marked FAILED
# with its reason; the user asks again (exports) or a moderator rebuilds (releases).
@shared_task(soft_time_limit=3600, time_limit=3660)
def build_export_task(export_id: int) -> None:
    try:
        export_build(export_id=export_id)
    except SoftTimeLimitExceeded:
        export_fail(export_id=export_id, reason="The export took too long and was stopped.")
        raise
    except Exception as exc:
        export_fail(export_id=export_id, reason=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(soft_time_limit=3600, time_limit=3660)
def build_release_task(release_id: int) -> None:
    try:
        release_build(release_id=release_id)
    except SoftTimeLimitExceeded:
        release_fail(
            release_id=release_id, reason="The release build took too long and was stopped."
        )
        raise
    except Exception as exc:
        release_fail(release_id=release_id, reason=f"{type(exc).__name__}: {exc}")
        raise
