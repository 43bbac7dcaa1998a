"""Celery tasks of the repository app: thin wrappers that take primary keys and call services."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.utils import translation
from django.utils.translation import gettext_noop

from repository.services.analysis import image_analyse, image_analysis_fail


@shared_task(
    soft_time_limit=120,
    time_limit=150,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def analyse_image_task(image_id: int) -> None:
    # In English (the msgids): what the analysis stores is worded for each reader when shown.
    with translation.override("en"):
        _analyse(image_id)


def _analyse(image_id: int) -> None:
    try:
        image_analyse(image_id=image_id)
    except SoftTimeLimitExceeded:
        image_analysis_fail(
            image_id=image_id, reason=gettext_noop("The analysis took too long and was stopped.")
        )
        raise
    except OperationalError:
        raise  # transient: retried by Celery
    except Exception as exc:
        image_analysis_fail(image_id=image_id, reason=f"{type(exc).__name__}: {exc}")
        raise


# Archive builds are not retried automatically: the job harness marks a build that fails or
# runs out of time FAILED with its reason; the user asks again (exports) or a moderator
# rebuilds (releases). A build whose worker died is taken over after its heartbeat goes stale.
@shared_task(soft_time_limit=3600, time_limit=3660)
def build_export_task(export_id: int) -> None:
    # Imported here: the archive code (DataCite's identifier patterns) takes a second or more to
    # import, and every process that only queues an image's analysis imports this module.
    from repository.services.exports import export_build

    export_build(export_id=export_id)


@shared_task(soft_time_limit=3600, time_limit=3660)
def build_release_task(release_id: int) -> None:
    from repository.services.releases import release_build

    release_build(release_id=release_id)
