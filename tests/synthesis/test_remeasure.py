"""A moderator re-measures every image's skin tone from the jobs page, as a harnessed job."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from repository.models import LesionImage
from repository.services.analysis import image_analyse
from synthesis.ml.skin_tone import METHOD_VERSION
from synthesis.models import SynthesisJob
from synthesis.services.job_harness import stale_after
from synthesis.services.remeasure import remeasure_job_create, remeasure_run
from tests.conftest import demo_rows, ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysed(clinician):
    images = []
    for row in demo_rows()[:3]:
        image = ingest(clinician, row["image_id"])
        image_analyse(image_id=image.pk)
        images.append(image)
    # As if measured by an older method version.
    LesionImage.objects.update(tone_measurement={"method_version": "old"})
    return images


def test_the_button_starts_a_job_that_measures_every_image_with_progress(
    client, moderator, analysed
):
    client.force_login(moderator)
    page = client.get(reverse("synthesis-jobs"))
    assert "Re-measure all images" in page.content.decode()
    response = client.post(reverse("synthesis-remeasure"))
    job = SynthesisJob.objects.get(kind=SynthesisJob.Kind.REMEASURE_TONE)
    assert response.url == reverse("synthesis-job-detail", args=[job.pk])
    assert job.items_total == 3 and job.status == SynthesisJob.Status.QUEUED

    remeasure_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.SUCCEEDED and job.percent == 100
    assert job.progress["position"] == 3 and job.items_done == 3
    assert job.progress["gradable"] + job.progress["not_gradable"] == 3
    for image in LesionImage.objects.all():
        assert image.tone_measurement["method_version"] == METHOD_VERSION


def test_a_job_whose_worker_died_goes_on_from_where_it_stopped(moderator, analysed):
    job = remeasure_job_create(user=moderator, enqueue=False)
    # As after a SIGKILL after the first image: running, heartbeat stale, one image done.
    SynthesisJob.objects.filter(pk=job.pk).update(
        status=SynthesisJob.Status.RUNNING,
        attempts=1,
        claimed_by="dead",
        heartbeat_at=timezone.now() - stale_after(),
        progress={**job.progress, "position": 1, "gradable": 1},
    )
    remeasure_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.SUCCEEDED and job.attempts == 2
    assert job.progress["position"] == 3
    first, *rest = LesionImage.objects.order_by("pk")
    assert first.tone_measurement["method_version"] == "old"  # done before the crash
    assert all(i.tone_measurement["method_version"] == METHOD_VERSION for i in rest)


def test_only_moderators_start_it(clinician, analysed):
    with pytest.raises(PermissionDenied):
        remeasure_job_create(user=clinician)
