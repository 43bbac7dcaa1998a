"""Blinded review (visual Turing test): session composition, pages and image URLs that
reveal nothing of an image's origin, the rules of a judgement, and the report's figures."""

import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from PIL import Image

from repository.services.moderation import image_publish
from synthesis.models import BlindJudgement, BlindSession, SynthesisJob
from synthesis.services.blind_review import blind_judgement_submit, blind_session_start
from synthesis.services.review_metrics import wilson_interval
from synthesis.services.review_report import turing_report
from tests.conftest import demo_rows, ingest
from tests.factories import ReviewerFactory
from tests.repository.test_api_synthetic import _synthetic

pytestmark = pytest.mark.django_db

CALL = dict(realism=3, tone_correct=True, features_preserved=False)


@pytest.fixture
def pool(clinician, moderator):
    """Four synthetic images (two from a reviewer's own job) and four other public images."""
    rows = demo_rows()
    own = ReviewerFactory()
    job = SynthesisJob.objects.create(kind=SynthesisJob.Kind.TONE_TRANSFER, created_by=own)
    synthetic = []
    for i in range(4):
        source = ingest(clinician, rows[i]["image_id"], diagnosis="mel", fitzpatrick=2)
        image_publish(image=source, moderator=moderator)
        made = _synthetic(source, status="pending_review", created_by=moderator)
        if i == 2:  # from a job the reviewer started
            made.job = job
            made.save(update_fields=["job"])
        elif i == 3:  # made by the reviewer directly
            made.created_by = own
            made.save(update_fields=["created_by"])
        synthetic.append(made)
    real = []
    for row in rows[4:8]:
        image = ingest(clinician, row["image_id"])
        image_publish(image=image, moderator=moderator)
        real.append(image)
    return {"synthetic": synthetic, "real": real, "own": own}


def _composition(session):
    return [(j.real_image_id, j.synthetic_id) for j in session.judgements.order_by("position")]


def test_a_session_mixes_half_real_half_synthetic_without_own_outputs(pool):
    session = blind_session_start(reviewer=pool["own"], size=4, seed=11)
    items = _composition(session)
    assert [p for p in session.judgements.values_list("position", flat=True)] == [1, 2, 3, 4]
    synthetic = {s for _r, s in items if s}
    assert len(synthetic) == 2 and sum(1 for r, _s in items if r) == 2
    assert synthetic == {s.pk for s in pool["synthetic"][:2]}  # not the own-job ones
    sources = {s.source_image_id for s in pool["synthetic"] if s.pk in synthetic}
    assert not sources & {r for r, _s in items if r}  # never a source beside its derivative


def test_the_same_seed_gives_the_same_session(pool):
    reviewer = ReviewerFactory()
    a = blind_session_start(reviewer=reviewer, size=6, seed=5)
    b = blind_session_start(reviewer=reviewer, size=6, seed=5)
    assert _composition(a) == _composition(b)
    others = {
        tuple(_composition(blind_session_start(reviewer=reviewer, size=6, seed=s)))
        for s in range(6, 16)
    }
    assert len(others) > 1


def test_too_few_images_is_a_clear_error_and_writes_nothing(pool):
    with pytest.raises(ValidationError, match="Too few synthetic"):
        blind_session_start(reviewer=pool["own"], size=6, seed=1)
    with pytest.raises(ValidationError):
        blind_session_start(reviewer=pool["own"], size=3, seed=1)
    with pytest.raises(PermissionDenied):
        blind_session_start(reviewer=pool["real"][0].contributor, size=2, seed=1)
    assert not BlindSession.objects.exists() and not BlindJudgement.objects.exists()


def test_pages_and_image_urls_reveal_nothing(pool, client):
    reviewer = ReviewerFactory()
    client.force_login(reviewer)
    response = client.post(reverse("synthesis-blind-start"), {"size": 8})
    session = BlindSession.objects.get(reviewer=reviewer)
    assert response.status_code == 302
    pages = set()
    for judgement in session.judgements.select_related("real_image", "synthetic"):
        url = reverse("synthesis-blind-judge", args=[session.pk, judgement.position])
        html = client.get(url).content.decode()
        image = judgement.real_image or judgement.synthetic
        for clue in ("synthetic-", "real-", "/synthesis/images/", "/media/", image.image.name):
            assert clue not in html
        if judgement.synthetic_id:
            assert f"#{judgement.synthetic_id}" not in html
        image_url = re.search(r'id="blind-image" src="([^"]+)"', html).group(1)
        assert image_url == f"/synthesis/review/blind/{session.pk}/{judgement.position}/image"
        served = client.get(image_url)
        assert served.status_code == 200 and "private" in served["Cache-Control"]
        assert "Content-Disposition" not in served
        # Same format and size whatever the origin: the bytes give nothing away either.
        assert served["Content-Type"] == "image/jpeg"
        shown = Image.open(io.BytesIO(served.content))
        assert shown.format == "JPEG" and max(shown.size) == 512 and not shown.info.get("exif")
        # Real and synthetic pages differ in nothing but the position and the form token.
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        pages.add(
            html.replace(f"/{session.pk}/{judgement.position}/", "/S/N/").replace(
                f"Image {judgement.position} of", "Image N of"
            )
        )
    assert len(pages) == 1


def test_another_reviewers_session_is_not_found(pool, client):
    session = blind_session_start(reviewer=ReviewerFactory(), size=2, seed=3)
    client.force_login(ReviewerFactory())
    for url in (
        reverse("synthesis-blind-session", args=[session.pk]),
        reverse("synthesis-blind-judge", args=[session.pk, 1]),
        reverse("synthesis-blind-image", args=[session.pk, 1]),
    ):
        assert client.get(url).status_code == 404
    judge = reverse("synthesis-blind-judge", args=[session.pk, 1])
    post = {"said_real": "real", "realism": "3", "tone_correct": "yes", "features_preserved": "no"}
    assert client.post(judge, post).status_code == 404
    assert not BlindJudgement.objects.judged().exists()


def test_judgement_rules_write_nothing_on_bad_input(pool, client):
    reviewer, other = ReviewerFactory(), ReviewerFactory()
    session = blind_session_start(reviewer=reviewer, size=2, seed=3)
    first = session.judgements.get(position=1)
    for realism in (0, 6, "x"):
        with pytest.raises(ValidationError):
            blind_judgement_submit(
                judgement=first, reviewer=reviewer, said_real=True, **{**CALL, "realism": realism}
            )
    with pytest.raises(PermissionDenied):
        blind_judgement_submit(judgement=first, reviewer=other, said_real=True, **CALL)
    with pytest.raises(PermissionDenied):
        blind_judgement_submit(
            judgement=first, reviewer=pool["real"][0].contributor, said_real=True, **CALL
        )
    assert not BlindJudgement.objects.judged().exists()
    blind_judgement_submit(judgement=first, reviewer=reviewer, said_real=True, **CALL)
    with pytest.raises(ValidationError, match="already judged"):
        blind_judgement_submit(judgement=first, reviewer=reviewer, said_real=False, **CALL)
    first.refresh_from_db()
    assert first.said_real is True
    client.force_login(reviewer)
    url = reverse("synthesis-blind-judge", args=[session.pk, 2])
    bad = client.post(
        url,
        {"said_real": "real", "realism": "6", "tone_correct": "yes", "features_preserved": "no"},
    )
    assert bad.status_code == 400 and not session.judgements.get(position=2).is_judged
    done = client.post(
        url,
        {
            "said_real": "synthetic",
            "realism": "2",
            "tone_correct": "yes",
            "features_preserved": "no",
        },
    )
    assert done.status_code == 302
    session.refresh_from_db()
    assert session.is_finished
    summary = client.get(reverse("synthesis-blind-session", args=[session.pk]))
    assert b'id="blind-summary"' in summary.content


def test_report_turing_figures_match_a_hand_computed_case(pool, moderator, client):
    reviewer = ReviewerFactory()
    session = blind_session_start(reviewer=reviewer, size=4, seed=2)
    # Real images called real once, synthetic once; synthetic ones called real once.
    calls = {True: [True, False], False: [True, False]}
    for judgement in session.judgements.all():
        said = calls[judgement.is_real].pop()
        blind_judgement_submit(judgement=judgement, reviewer=reviewer, said_real=said, **CALL)
    report = turing_report()
    assert report["calls"] == 4
    assert (report["accuracy"]["successes"], report["accuracy"]["trials"]) == (2, 4)
    assert (report["accuracy"]["low"], report["accuracy"]["high"]) == pytest.approx(
        wilson_interval(2, 4)
    )
    [group] = report["groups"]
    assert (group["method"], group["model_version"]) == ("tone_transfer", "melanin-1")
    assert group["taken_for_real"]["rate"] == 0.5 and group["accuracy"]["successes"] == 1
    assert (group["taken_for_real"]["low"], group["taken_for_real"]["high"]) == pytest.approx(
        wilson_interval(1, 2)
    )
    client.force_login(moderator)
    page = client.get(reverse("synthesis-review-report")).content.decode()
    assert 'id="turing"' in page and "50%" in page


def _group(judgement) -> str:
    from synthesis.ml.fitzpatrick import group_of

    image = judgement.real_image or judgement.synthetic
    return group_of(image.fitzpatrick)


def test_a_session_pairs_like_with_like_skin_tone(pool, clinician, moderator):
    # Pale real images beside brown synthetic ones would make the test trivial: add light
    # real images and light synthetic ones, and every group must stay balanced.
    rows = demo_rows()
    for row in rows[8:12]:
        image_publish(image=ingest(clinician, row["image_id"], fitzpatrick=1), moderator=moderator)
    light_source = ingest(clinician, rows[12]["image_id"], fitzpatrick=1)
    image_publish(image=light_source, moderator=moderator)
    for _i in range(2):
        _synthetic(light_source, status="pending_review", fitzpatrick=2, created_by=moderator)
    reviewer = ReviewerFactory()
    for seed in range(8):
        session = blind_session_start(reviewer=reviewer, size=8, seed=seed)
        counts = {}
        for judgement in session.judgements.select_related("real_image", "synthetic"):
            key = (_group(judgement), judgement.is_real)
            counts[key] = counts.get(key, 0) + 1
        for group in {g for g, _real in counts}:
            assert counts.get((group, True)) == counts.get((group, False)), counts
        assert {g for g, _real in counts} == {"I-II", "V-VI"}


def test_without_real_images_of_the_same_tone_a_session_is_refused(clinician, moderator):
    rows = demo_rows()
    source = ingest(clinician, rows[0]["image_id"], fitzpatrick=1)
    image_publish(image=source, moderator=moderator)
    for row in rows[1:5]:
        image_publish(image=ingest(clinician, row["image_id"], fitzpatrick=1), moderator=moderator)
    for _i in range(3):
        _synthetic(source, status="pending_review", fitzpatrick=5, created_by=moderator)
    with pytest.raises(ValidationError, match="same skin tone"):
        blind_session_start(reviewer=ReviewerFactory(), size=4, seed=1)
    assert not BlindSession.objects.exists()
