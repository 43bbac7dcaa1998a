"""The demo's whole loop through the ordinary services and a real worker: darker-skin tone
transfers and generated images made by the worker, two demo reviewers publishing part of
them, the rest left in the review queue; the published ones in the coverage and the API."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from repository.models import User
from repository.services.coverage import coverage_matrix
from repository.services.demo import DEMO_REVIEWERS, demo_researcher_token
from synthesis.models import Review, SynthesisJob, SyntheticImage
from synthesis.services.blind_review import blind_session_start
from synthesis.services.demo_gan import DEMO_GAN_VERSION
from synthesis.services.demo_loop import demo_jobs_start, demo_jobs_wait, demo_reviews_apply
from synthesis.services.review import review_queue

pytestmark = pytest.mark.worker


def test_the_demo_loop_publishes_darker_skin_images_and_leaves_some_pending(
    seeded_db, celery_worker_process
):
    from synthesis.models import GanModel

    call_command("load_demo", no_accounts=True)
    moderator = User.objects.get(username="moderator")
    gan = GanModel.objects.get(version=DEMO_GAN_VERSION)
    jobs = demo_jobs_start(moderator=moderator, gan_model=gan)
    assert demo_jobs_wait(jobs, timeout_s=400)
    rows = SynthesisJob.objects.filter(pk__in=[j.pk for j in jobs])
    assert set(rows.values_list("status", flat=True)) == {"succeeded"}
    assert {row.kind for row in rows} == {"tone_transfer", "generate"}
    reviewers = list(User.objects.filter(username__in=DEMO_REVIEWERS))
    counts = demo_reviews_apply(reviewers=reviewers, moderator=moderator)
    assert counts.approved > 0 and counts.pending > 0

    published = SyntheticImage.objects.public()
    assert set(published.values_list("fitzpatrick", flat=True)) <= {4, 5, 6}
    for image in published:
        assert {r.reviewer.username for r in image.reviews.all()} == set(DEMO_REVIEWERS)
    assert review_queue(user=reviewers[0]).exists()  # some still wait for a reviewer

    cells = [c for row in coverage_matrix() for c in row.cells if c.fitzpatrick >= 4]
    assert sum(c.synthetic for c in cells) == published.count()
    assert sum(c.count for c in cells) == 0  # counted apart: no real image on IV–VI

    token = demo_researcher_token(researcher=User.objects.get(username="researcher"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = api.get(
        reverse("api-image-list"), {"origin": "synthetic", "fitzpatrick": 5, "page_size": 100}
    )
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert len(rows) == published.filter(fitzpatrick=5).count() > 0

    # The blinded test pairs like with like: the light transfers meet light real images.
    session = blind_session_start(reviewer=reviewers[0], size=20, seed=1)
    assert session.judgements.count() == 20

    # Run again: the same jobs, no second review by anyone.
    reviews = Review.objects.count()
    assert [j.pk for j in demo_jobs_start(moderator=moderator, gan_model=gan)] == sorted(
        j.pk for j in jobs
    )
    demo_reviews_apply(reviewers=reviewers, moderator=moderator)
    assert Review.objects.count() == reviews
