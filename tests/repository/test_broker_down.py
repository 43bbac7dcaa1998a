"""With the broker unreachable nothing is lost: uploads are kept whole, every job waits and is
sent by the sweep once the broker is back, Retry and Rebuild really queue, and a row without its
file is never published. The database dropping a connection costs a read no 500."""

import pytest
from celery.app.task import Task
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from kombu.exceptions import OperationalError as BrokerDown

from repository.job_errors import JobError
from repository.models import LesionImage, Release
from repository.services.exports import export_create
from repository.services.moderation import image_publish
from repository.services.releases import release_cut, release_fail, release_rebuild
from synthesis.models import SynthesisJob
from synthesis.services.job_harness import jobs_sweep
from synthesis.services.jobs import job_create_tone_transfer, job_items_retry
from tests.conftest import ingest
from tests.synthesis.conftest import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(monkeypatch):
    """The broker as the web process sees it: `down` refuses every publish; `sent` lists what
    reached it as (task name, args)."""

    class Broker:
        down = True
        sent: list[tuple[str, tuple]] = []

    state = Broker()

    def apply_async(self, args=None, kwargs=None, **options):
        if state.down:
            raise BrokerDown("[Errno 111] Connection refused")
        state.sent.append((self.name.rsplit(".", 1)[1], tuple(args or ())))

        class Result:
            id = "sent"

        return Result()

    monkeypatch.setattr(Task, "apply_async", apply_async)
    return state


def test_an_upload_with_the_broker_down_is_kept_whole_and_analysed_once_it_returns(
    clinician, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = ingest(clinician)  # before: the broker's error, the files deleted, the row kept
    image.refresh_from_db()
    assert default_storage.exists(image.image.name) and default_storage.exists(image.thumbnail.name)
    assert image.analysis_status == LesionImage.AnalysisStatus.PENDING
    assert image.analysis_dispatched_at is None
    client = Client()
    client.force_login(clinician)
    page = client.get(reverse("image-detail", args=[image.pk]))
    assert "processing will start shortly" in page.content.decode()

    assert jobs_sweep() == {}  # still down: nothing sent, nothing lost
    broker.down = False
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep() == {"LesionImage": 1}
    assert broker.sent == [("analyse_image_task", (image.pk,))]
    image.refresh_from_db()
    assert image.analysis_dispatched_at is not None
    assert jobs_sweep() == {}  # sent once, not on every sweep


def test_jobs_exports_and_releases_wait_for_the_broker_and_are_sent_when_it_returns(
    clinician, moderator, broker, django_capture_on_commit_callbacks
):
    image = publish(clinician, moderator, "ISIC_0024306")
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create_tone_transfer(
            user=moderator,
            targets=[{"kind": "fitzpatrick", "fitzpatrick": 6}],
            image_ids=[image.pk],
        )
        export = export_create(user=moderator, params={})
        release = release_cut(moderator=moderator, tag="2026.11", title="Broker down")
    for row in (job, export, release):
        row.refresh_from_db()
        assert row.status == "queued" and row.dispatched_at is None
    client = Client()
    client.force_login(moderator)
    for url in (
        reverse("synthesis-job-detail", args=[job.pk]),
        reverse("export-detail", args=[export.pk]),
        reverse("release-detail", args=[release.tag]),
    ):
        assert "processing will start shortly" in client.get(url).content.decode(), url

    broker.down = False
    sent = jobs_sweep()
    assert sent["SynthesisJob"] == 1 and sent["Export"] == 1 and sent["Release"] == 1
    names = {name for name, _args in broker.sent}
    assert {"run_tone_transfer_job_task", "build_export_task", "build_release_task"} <= names
    for row in (job, export, release):
        row.refresh_from_db()
        assert row.dispatched_at is not None
    assert not any(k in jobs_sweep() for k in ("SynthesisJob", "Export", "Release"))


def test_retry_queues_a_job_that_never_reached_the_broker(
    clinician, moderator, broker, django_capture_on_commit_callbacks
):
    image = publish(clinician, moderator, "ISIC_0024306")
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create_tone_transfer(
            user=moderator,
            targets=[{"kind": "fitzpatrick", "fitzpatrick": 6}],
            image_ids=[image.pk],
        )
    broker.down = False
    with django_capture_on_commit_callbacks(execute=True):
        assert job_items_retry(job=job, user=moderator) == 1
    # Before: "1 item re-queued" and nothing sent.
    assert broker.sent == [("run_tone_transfer_job_task", (job.pk,))]
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.QUEUED and job.dispatched_at is not None


def test_a_failed_release_is_rebuilt_even_while_the_broker_is_down(
    moderator, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        release = release_cut(moderator=moderator, tag="2026.12", title="Rebuilt")
    release_fail(
        release_id=release.pk, reason=JobError.of("unexpected", error="OSError: disk full")
    )
    with django_capture_on_commit_callbacks(execute=True):
        release = release_rebuild(moderator=moderator, release=release)  # before: a 500
    assert release.status == Release.Status.QUEUED and release.dispatched_at is None
    broker.down = False
    assert jobs_sweep().get("Release") == 1
    with pytest.raises(ValidationError, match="Only a failed release"):
        release_rebuild(moderator=moderator, release=release)


def test_an_image_whose_file_is_gone_cannot_be_published(clinician, moderator):
    image = ingest(clinician)
    default_storage.delete(image.image.name)
    with pytest.raises(ValidationError, match="no stored file"):
        image_publish(image=image, moderator=moderator)
    image.refresh_from_db()
    assert image.status != LesionImage.Status.PUBLIC


def test_a_read_that_loses_its_database_connection_is_answered_on_a_new_one(researcher, settings):
    settings.DEBUG = False
    lost = []

    def drop_first(execute, sql, params, many, context):
        if not lost:
            lost.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(drop_first):
        response = client.get(reverse("image-list"))
    assert lost and response.status_code == 200  # before: 500
