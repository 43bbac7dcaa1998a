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


@shared_task(soft_time_limit=120, time_limit=180)
def propose_style_template_task(image_id: int) -> None:
    """A published Fitzpatrick IV-VI image: propose its healthy skin as a template."""
    from repository.models import LesionImage
    from synthesis.services.templates import style_template_propose_from_image

    image = LesionImage.objects.filter(pk=image_id).first()
    if image is not None:
        style_template_propose_from_image(image=image)


@shared_task(soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 300)
def train_segmenter_task(job_id: int) -> None:
    _run(segmenter_train_run, job_id, "segmenter training")


@shared_task(soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 300)
def train_classifier_task(job_id: int) -> None:
    import torch

    from synthesis.services.classifier_training import classifier_train_run

    torch.set_num_threads(int(settings.PIXGEN_TRAINING_THREADS))
    _run(classifier_train_run, job_id, "classifier training")


@shared_task(bind=True, soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 300)
def train_dcgan_task(self, job_id: int) -> None:
    """Train or resume a DCGAN version; a job another live worker holds is retried later."""
    import torch

    from synthesis.services.gan_training import TrainingBusy, gan_train_run, stale_after

    torch.set_num_threads(int(settings.PIXGEN_TRAINING_THREADS))
    busy: list[TrainingBusy] = []

    def train(*, job_id: int) -> None:
        try:
            gan_train_run(job_id=job_id)
        except TrainingBusy as exc:  # not a failure: another worker's heartbeat is fresh
            busy.append(exc)

    _run(train, job_id, "DCGAN training")
    if busy:  # look again once that worker could have gone stale
        raise self.retry(exc=busy[0], countdown=stale_after().total_seconds(), max_retries=3)


@shared_task(soft_time_limit=TONE_JOB_SOFT_LIMIT, time_limit=TONE_JOB_SOFT_LIMIT + 120)
def generate_task(job_id: int) -> None:
    from synthesis.services.gan_generation import gan_generate_run

    _run(gan_generate_run, job_id, "DCGAN generation")


@shared_task(soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 120)
def run_audit_task(job_id: int) -> None:
    """A bias audit: minutes of inference and bootstrap, never inside a web request."""
    import torch

    from synthesis.services.audit_upload import audit_job_run

    torch.set_num_threads(int(settings.PIXGEN_TRAINING_THREADS))
    _run(audit_job_run, job_id, "bias audit")


@shared_task(soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 300)
def train_augmentation_task(job_id: int) -> None:
    """Run an augmentation experiment's missing runs (train_*: the training queue)."""
    import torch

    from synthesis.services.augmentation import augmentation_experiment_run

    torch.set_num_threads(int(settings.PIXGEN_TRAINING_THREADS))
    _run(augmentation_experiment_run, job_id, "augmentation experiment")
