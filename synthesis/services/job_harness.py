"""One harness for every background job: synthesis jobs (tone transfer, DCGAN training and
generation, segmenter and classifier training, bias audits, augmentation experiments, skin-tone
re-measurement), dataset exports and releases.

A job row has `status` (queued, running, succeeded, failed, [cancelled]), `error`,
`started_at`, `finished_at` and the fields of `repository.models.JobState`. The API:

    job_dispatch(row, task)   queue the row's task after commit. A broker that is down is not an
                              error: the row stays waiting (dispatched_at is null) and
                              `jobs_sweep` sends it when the broker is back.
    job_run(Model, pk, work, what=...)
                              in a task (or a command): claim the row, call work(run), mark it
                              failed with the reason if work raises (then re-raise). Returns
                              work's result, or None when there was nothing to claim.
        run.row               the claimed row (fresh)
        run.taken_over        True when this run took the job over from a worker that died
        run.should_stop()     throttled: False while this run still holds a running job; also
                              its heartbeat. Call it often (each item, step or file).
        run.progress(**kv)    merge values into the row's `progress` (and beat); forget=(keys)
                              drops keys that no longer hold
        run.succeed(**fields) RUNNING -> SUCCEEDED with fields, only if this run still holds it
        run.fail(reason)      RUNNING -> FAILED with the reason (a repository.job_errors.JobError:
                              code + parameters, worded in the reader's language on display),
                              only if this run still holds it
    job_requeue(Model, pk, task)
                              a finished job back to queued (Retry, Resume, Rebuild), dispatched
    jobs_sweep()              the periodic sweep (`manage.py sweep_jobs`): dispatch jobs that
                              are waiting for the broker, whose message was lost, or whose
                              worker stopped beating
    model_version_create(Model, prefix=..., **fields)
                              a registry row with the next free version `<prefix>-NNNN`
    weights_store(name, data) store a weights file: (storage name, SHA-256)

The claim is ONE conditional UPDATE: a queued job, or a running one whose heartbeat is older
than PIXGEN_JOB_STALE_SECONDS, becomes running under a new claim token; `num_updated != 1`
means someone else holds it or it is finished, and the task returns. Every later write of the
run is conditional on its token, so a worker thought dead can never overwrite its successor.
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from repository.job_errors import CLEARED, JobError

logger = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
BEAT_EVERY = 2.0  # seconds between two heartbeats (and cancellation checks) of one run


def stale_after() -> timedelta:
    """A running job whose heartbeat is older than this lost its worker and may be taken over."""
    return timedelta(seconds=settings.PIXGEN_JOB_STALE_SECONDS)


def redispatch_after() -> timedelta:
    """A queued job not started this long after its dispatch is sent again (lost message)."""
    return timedelta(seconds=settings.PIXGEN_JOB_REDISPATCH_SECONDS)


def max_attempts() -> int:
    return settings.PIXGEN_JOB_MAX_ATTEMPTS


class JobLost(Exception):
    """This run no longer holds its job (cancelled, or taken over by another worker)."""


@dataclass
class JobRun:
    """One claim of one job row by one worker."""

    model: type[models.Model]
    pk: int
    token: str
    row: models.Model
    taken_over: bool
    _last_beat: float = field(default_factory=time.monotonic)
    _lost: bool = False

    def _mine(self):
        return self.model.objects.filter(pk=self.pk, status=RUNNING, claimed_by=self.token)

    def beat(self, *, force: bool = False) -> bool:
        """Refresh the heartbeat (at most every BEAT_EVERY s); False once the job is not ours."""
        if self._lost:
            return False
        if force or time.monotonic() - self._last_beat >= BEAT_EVERY:
            self._last_beat = time.monotonic()
            num_updated = self._mine().update(heartbeat_at=timezone.now())
            if num_updated != 1:
                self._lost = True
        return not self._lost

    def should_stop(self) -> bool:
        return not self.beat()

    def progress(self, *, forget: Collection[str] = (), **values) -> None:
        """Merge values into the row's progress (jobs that have one), drop the keys named in
        `forget`, and beat. The one writer of a running job's progress."""
        current = self.model.objects.filter(pk=self.pk).values_list("progress", flat=True)
        merged = {**(current.first() or {}), **values}
        merged = {k: v for k, v in merged.items() if k not in forget}
        if self._mine().update(progress=merged, heartbeat_at=timezone.now()) != 1:
            self._lost = True
        self._last_beat = time.monotonic()
        self.row.progress = merged

    def succeed(self, **fields) -> bool:
        done = self._mine().update(status=SUCCEEDED, finished_at=timezone.now(), **fields)
        self.row.refresh_from_db()
        return done == 1

    def fail(self, reason: JobError) -> bool:
        done = self._mine().update(
            status=FAILED, finished_at=timezone.now(), heartbeat_at=None, **reason.fields()
        )
        self.row.refresh_from_db()
        return done == 1

    def require(self) -> None:
        """Raise JobLost when the job is no longer ours (before storing anything final)."""
        if not self.beat(force=True):
            raise JobLost(f"{self.model.__name__} #{self.pk} is no longer held by this run")


def job_claim(model: type[models.Model], pk: int) -> JobRun | None:
    """Queued -> running, or take over a running job whose worker stopped beating."""
    now = timezone.now()
    token = uuid.uuid4().hex
    stale = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale_after())
    num_updated = (
        model.objects.filter(pk=pk)
        .filter(Q(status=QUEUED) | (Q(status=RUNNING) & stale))
        .update(
            status=RUNNING,
            claimed_by=token,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            started_at=Coalesce("started_at", now),
            finished_at=None,
        )
    )
    if num_updated != 1:
        return None  # finished, cancelled, vanished, or a live worker holds it
    row = model.objects.get(pk=pk)
    run = JobRun(model=model, pk=pk, token=token, row=row, taken_over=row.attempts > 1)
    if row.attempts > max_attempts():
        run.fail(JobError.of("worker_lost", times=row.attempts - 1))
        return None
    if row.error or row.error_code:
        model.objects.filter(pk=pk, claimed_by=token).update(**CLEARED)
        row.error, row.error_code, row.error_params = "", "", {}
    return run


def job_run(model: type[models.Model], pk: int, work: Callable[[JobRun], object], *, what: str):
    """Claim the job and run work(run); any failure marks the job FAILED with the reason.
    `what` names the work in the failure message: a catalogued phrase (gettext_noop)."""
    run = job_claim(model, pk)
    if run is None:
        return None
    try:
        # In English (the msgids) whatever the site's default language: a rule's refusal is
        # stored as a catalogued message and worded in each reader's language when shown.
        with translation.override("en"):
            return work(run)
    except SoftTimeLimitExceeded:
        run.fail(JobError.of("time_limit", what=what))
        raise
    except JobLost:
        return None  # cancelled, or another worker has it: what it does stands
    except BaseException as exc:  # a rule that refused the work, or an unexpected error
        run.fail(JobError.from_exception(exc))
        raise


def job_dispatch(row: models.Model, task) -> None:
    """Send the row's task after commit; with the broker down the row waits for the sweep."""
    model, pk = type(row), row.pk
    transaction.on_commit(lambda: _send(model, pk, task))


def _send(model, pk: int, task) -> bool:
    try:
        # No publish retries: a web request must not hang on a broker that is down.
        result = task.apply_async((pk,), retry=False)
    except Exception as exc:  # kombu/redis/amqp raise many types for "broker unreachable"
        logger.warning("%s #%s waits for the broker: %s", model.__name__, pk, exc)
        return False
    fields = {"dispatched_at": timezone.now()}
    if any(f.name == "celery_task_id" for f in model._meta.fields):
        fields["celery_task_id"] = result.id or ""
    model.objects.filter(pk=pk).update(**fields)
    return True


def task_send(task, *args) -> bool:
    """Send a best-effort task (no job row behind it); False, logged, when the broker is down."""
    try:
        task.apply_async(args, retry=False)
    except Exception as exc:
        logger.warning("%s%r not sent, the broker is unreachable: %s", task.name, args, exc)
        return False
    return True


def job_requeue(model: type[models.Model], pk: int, task, *, statuses=None, **fields) -> int:
    """A finished (or stuck) job back to queued with a fresh attempt count, dispatched after
    commit; `statuses` limits which finished states may go back. Returns 1, or 0 if refused."""
    stuck = Q(status=RUNNING) & (
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=timezone.now() - stale_after())
    )
    finished = Q(status__in=statuses) if statuses else ~Q(status__in=[QUEUED, RUNNING])
    num_updated = (
        model.objects.filter(pk=pk)
        .filter(finished | stuck)
        .update(
            status=QUEUED,
            **CLEARED,
            finished_at=None,
            claimed_by="",
            heartbeat_at=None,
            attempts=0,
            dispatched_at=None,
            **fields,
        )
    )
    if num_updated == 1 and task is not None:  # None: the caller runs it in-process (CLI)
        transaction.on_commit(lambda: _send(model, pk, task))
    return num_updated


def _job_kinds():
    """(model, task for a row) of every job type the sweep looks after."""
    from repository.models import Export, Release
    from repository.tasks import build_export_task, build_release_task
    from synthesis.models import SynthesisJob
    from synthesis.tasks import task_for_job

    return [
        (SynthesisJob, task_for_job),
        (Export, lambda row: build_export_task),
        (Release, lambda row: build_release_task),
    ]


def jobs_waiting(model: type[models.Model]):
    """Rows of a job model that need their task sent (again)."""
    now = timezone.now()
    never_sent = Q(status=QUEUED, dispatched_at__isnull=True)
    lost = Q(status=QUEUED, dispatched_at__lt=now - redispatch_after())
    dead = (
        Q(status=RUNNING)
        & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale_after()))
        & (Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - stale_after()))
    )
    return model.objects.filter(never_sent | lost | dead).order_by("pk")


def jobs_sweep() -> dict[str, int]:
    """Dispatch every job that waits for the broker or lost its worker; counts per model."""
    from repository.services.analysis import analyses_waiting, analysis_send

    sent: dict[str, int] = {}
    for model, task_for in _job_kinds():
        for row in jobs_waiting(model):
            if not _send(model, row.pk, task_for(row)):
                return sent  # the broker is still down: try again on the next sweep
            sent[model.__name__] = sent.get(model.__name__, 0) + 1
    for image in analyses_waiting(redispatch_after()):
        if not analysis_send(image_id=image.pk):
            return sent
        sent["LesionImage"] = sent.get("LesionImage", 0) + 1
    return sent


def model_version_create(model: type[models.Model], *, prefix: str, **fields) -> models.Model:
    """A registry row with the next free version `<prefix>-NNNN` (retried on a race)."""
    for _attempt in range(5):
        last = (
            model.objects.filter(version__startswith=f"{prefix}-")
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        try:
            with transaction.atomic():
                return model.objects.create(version=f"{prefix}-{number:04d}", **fields)
        except IntegrityError:  # a concurrent job took this number
            continue
    raise RuntimeError(f"could not allocate a {prefix} version")


def weights_store(name: str, data: bytes) -> tuple[str, str]:
    """Save a weights file; (storage name, SHA-256 of its bytes)."""
    return default_storage.save(name, ContentFile(data)), hashlib.sha256(data).hexdigest()
