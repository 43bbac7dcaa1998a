from django.db import models


class JobState(models.Model):
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
