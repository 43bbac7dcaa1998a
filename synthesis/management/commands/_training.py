"""What the train_* commands share: run a created training job in this process, or leave it
to the worker. (A leading underscore keeps Django from listing this as a command.)"""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from repository.job_errors import JobError
from synthesis.services.jobs import job_fail


def run_here_or_queued(command, job, run, *, queued: bool, device: str | None):
    """None when the job was queued; else the model `run(job_id=, device=)` returned. Any
    failure marks the job FAILED with its reason before it is reported."""
    if queued:
        command.stdout.write(f"Training job #{job.pk} queued for the training worker.")
        return None
    command.stdout.write(f"Training job #{job.pk} runs here.")
    try:
        model = run(job_id=job.pk, device=device)
    except ValidationError as exc:
        job_fail(job_id=job.pk, reason=JobError.from_exception(exc))
        raise CommandError(" ".join(exc.messages)) from None
    except BaseException as exc:
        job_fail(job_id=job.pk, reason=JobError.from_exception(exc))
        raise
    if model is None:
        raise CommandError(f"Training job #{job.pk} was cancelled or taken by a worker.")
    return model
