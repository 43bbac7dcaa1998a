"""Celery tasks of the synthesis app: thin wrappers that take primary keys and call services.

Each service runs its job through the job harness (synthesis/services/job_harness.py), which
claims it, keeps its heartbeat and marks it FAILED with the reason on a failure or timeout.
Training tasks are named train_* so that settings route them to the "training" queue."""

from celery import shared_task
from django.conf import settings

from synthesis.models import SynthesisJob
from synthesis.services.job_harness import jobs_sweep
from synthesis.services.segmenter_training import segmenter_train_run
from synthesis.services.tone_transfer import tone_transfer_run_job

TONE_JOB_SOFT_LIMIT = settings.PIXGEN_TONE_JOB_TIME_LIMIT
TRAINING_SOFT_LIMIT = settings.PIXGEN_TRAINING_TIME_LIMIT


@shared_task(soft_time_limit=TONE_JOB_SOFT_LIMIT, time_limit=TONE_JOB_SOFT_LIMIT + 120)
def run_tone_transfer_job_task(job_id: int) -> None:
    tone_transfer_run_job(job_id=job_id)


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
    segmenter_train_run(job_id=job_id)


@shared_task(soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 300)
def train_classifier_task(job_id: int) -> None:
    import torch

    from synthesis.services.classifier_training import classifier_train_run

    torch.set_num_threads(int(settings.PIXGEN_TRAINING_THREADS))
    classifier_train_run(job_id=job_id)


@shared_task(soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 300)
def train_dcgan_task(job_id: int) -> None:
    """Train or resume a DCGAN version (a job a live worker holds is left to it)."""
    import torch

    from synthesis.services.gan_training import gan_train_run

    torch.set_num_threads(int(settings.PIXGEN_TRAINING_THREADS))
    gan_train_run(job_id=job_id)


@shared_task(soft_time_limit=TONE_JOB_SOFT_LIMIT, time_limit=TONE_JOB_SOFT_LIMIT + 120)
def generate_task(job_id: int) -> None:
    from synthesis.services.gan_generation import gan_generate_run

    gan_generate_run(job_id=job_id)


@shared_task(soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 120)
def run_audit_task(job_id: int) -> None:
    """A bias audit: minutes of inference and bootstrap, never inside a web request."""
    import torch

    from synthesis.services.audit_upload import audit_job_run

    torch.set_num_threads(int(settings.PIXGEN_TRAINING_THREADS))
    audit_job_run(job_id=job_id)


@shared_task(soft_time_limit=TRAINING_SOFT_LIMIT, time_limit=TRAINING_SOFT_LIMIT + 300)
def train_augmentation_task(job_id: int) -> None:
    """Run an augmentation experiment's missing runs (train_*: the training queue)."""
    import torch

    from synthesis.services.augmentation import augmentation_experiment_run

    torch.set_num_threads(int(settings.PIXGEN_TRAINING_THREADS))
    augmentation_experiment_run(job_id=job_id)


@shared_task(soft_time_limit=TONE_JOB_SOFT_LIMIT, time_limit=TONE_JOB_SOFT_LIMIT + 120)
def remeasure_tone_task(job_id: int) -> None:
    from synthesis.services.remeasure import remeasure_run

    remeasure_run(job_id=job_id)


@shared_task(soft_time_limit=300, time_limit=330)
def sweep_jobs_task() -> None:
    jobs_sweep()


TASKS = {
    SynthesisJob.Kind.TONE_TRANSFER: run_tone_transfer_job_task,
    SynthesisJob.Kind.TRAIN_SEGMENTER: train_segmenter_task,
    SynthesisJob.Kind.TRAIN_CLASSIFIER: train_classifier_task,
    SynthesisJob.Kind.TRAIN_DCGAN: train_dcgan_task,
    SynthesisJob.Kind.GENERATE: generate_task,
    SynthesisJob.Kind.AUDIT: run_audit_task,
    SynthesisJob.Kind.EVALUATE_AUGMENTATION: train_augmentation_task,
    SynthesisJob.Kind.REMEASURE_TONE: remeasure_tone_task,
}


def task_for_job(job: SynthesisJob):
    """The task that runs a job of this kind."""
    return TASKS[job.kind]
