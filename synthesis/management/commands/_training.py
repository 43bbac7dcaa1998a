"""What the train_* commands share: run a created training job in this process, or leave it
to the worker. (A leading underscore keeps Django from listing this as a command.)"""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext, gettext_lazy

from repository.job_errors import JobError
from synthesis.services.jobs import job_fail

# Lazy: read when a command fails, in the language it prints in.
NO_USER = gettext_lazy("No user %(name)s; name a moderator with --user.")


def run_here_or_queued(command, job, run, *, queued: bool, device: str | None):
    """None when the job was queued; else the model `run(job_id=, device=)` returned. Any
    failure marks the job FAILED with its reason before it is reported."""
    if queued:
        command.stdout.write(
            gettext("Training job #%(id)s queued for the training worker.") % {"id": job.pk}
        )
        return None
    command.stdout.write(gettext("Training job #%(id)s runs here.") % {"id": job.pk})
    try:
        model = run(job_id=job.pk, device=device)
    except ValidationError as exc:
        job_fail(job_id=job.pk, reason=JobError.from_exception(exc))
        raise CommandError(" ".join(exc.messages)) from None
    except BaseException as exc:
        job_fail(job_id=job.pk, reason=JobError.from_exception(exc))
        raise
    if model is None:
        raise CommandError(
            gettext("Training job #%(id)s was cancelled or taken by a worker.") % {"id": job.pk}
        )
    return model
