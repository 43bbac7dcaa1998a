from django.db import models


class StoredError(models.Model):
    """Why a job or item failed, as a stable code with its parameters (repository/job_errors.py);
    `error_message` puts it into the reader's language. The concrete model keeps `error`, the
    English words, beside them."""

    error_code = models.CharField(max_length=32, blank=True)
    error_params = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def error_message(self) -> str:
        from repository.job_errors import stored_error_message

        return stored_error_message(self)


class JobState(StoredError):
    """What the job harness (synthesis/services/job_harness.py) keeps on every job row: whether
    its task reached the broker, which run holds it and whether that run is still alive."""

    # When its task was last handed to the broker; null while it waits for the broker.
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=32, blank=True)
    # Claims so far: a job that takes its worker down each time is failed, not retried forever.
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
