"""The whole cycle with a real worker: a tone-transfer job makes pending images, two reviewers
approve one and split on another; the first is public, the second waits for a moderator."""

import pytest
from rest_framework.test import APIClient

from repository.services.moderation import image_publish
from synthesis.models import SynthesisJob, SyntheticImage
from synthesis.services.jobs import job_create_tone_transfer
from synthesis.services.review import disputed_queue, review_queue, review_submit
from tests.conftest import ingest, wait_for
from tests.factories import ClinicianFactory, ModeratorFactory, ReviewerFactory
from tests.synthesis.conftest import IMAGE_IDS

pytestmark = pytest.mark.worker

APPROVE = dict(decision="approve", realism=4, tone_correct=True, features_preserved=True)
REJECT = dict(decision="reject", realism=2, tone_correct=False, features_preserved=False)


def test_reviewed_worker_output_is_published_or_disputed(seeded_db, celery_worker_process):
    clinician, moderator = ClinicianFactory(), ModeratorFactory()
    image = ingest(clinician, IMAGE_IDS[0])
    image_publish(image=image, moderator=moderator)
    job = job_create_tone_transfer(
        user=moderator,
        targets=[{"kind": "fitzpatrick", "fitzpatrick": t} for t in (5, 6)],
        image_ids=[image.pk],
    )
    row = wait_for(
        lambda: SynthesisJob.objects.filter(pk=job.pk, status__in=SynthesisJob.FINISHED).first(),
        timeout=120,
    )
    assert row.status == SynthesisJob.Status.SUCCEEDED, row.error
    first, second = ReviewerFactory(), ReviewerFactory()
    a, b = review_queue(user=first)
    assert list(review_queue(user=second)) == [a, b]
    api = APIClient()
    assert api.get("/api/v1/images/?origin=synthetic").json()["results"] == []

    review_submit(synthetic=a, reviewer=first, **APPROVE)
    review_submit(synthetic=a, reviewer=second, **APPROVE)
    review_submit(synthetic=b, reviewer=first, **APPROVE)
    review_submit(synthetic=b, reviewer=second, **REJECT, comment="lesion border lost")

    rows = api.get("/api/v1/images/?origin=synthetic").json()["results"]
    assert [(r["origin"], r["id"]) for r in rows] == [("synthetic", a.pk)]
    assert SyntheticImage.objects.get(pk=b.pk).status == SyntheticImage.Status.DISPUTED
    assert list(disputed_queue(user=ModeratorFactory())) == [b]
    assert list(disputed_queue(user=moderator)) == []  # they started the job
    assert api.get(f"/api/v1/synthetic-images/{b.pk}/").status_code == 404
