import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from repository.models import ImageRequest, LesionImage
from repository.services.coverage import coverage_matrix
from repository.services.moderation import image_publish, image_reject, image_withdraw
from repository.services.requests import request_close, request_create
from tests.conftest import demo_rows, ingest
from tests.factories import ImageRequestFactory

pytestmark = pytest.mark.django_db


def _cell(code: str, fitzpatrick: int):
    row = next(r for r in coverage_matrix() if r.diagnosis.code == code)
    return row.cells[fitzpatrick - 1]


def test_published_image_counts_in_coverage(clinician, moderator):
    image = ingest(clinician, diagnosis="mel", fitzpatrick=5)
    assert _cell("mel", 5).count == 0
    image_publish(image=image, moderator=moderator)
    assert _cell("mel", 5).count == 1
    assert _cell("mel", 5).level == "thin"
    assert _cell("mel", 6).level == "empty"


def test_only_moderators_publish(clinician):
    image = ingest(clinician)
    with pytest.raises(PermissionDenied):
        image_publish(image=image, moderator=clinician)


def test_reject_needs_a_reason_and_tells_the_contributor(
    clinician, moderator, django_capture_on_commit_callbacks
):
    image = ingest(clinician)
    with pytest.raises(ValidationError):
        image_reject(image=image, moderator=moderator, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        image_reject(image=image, moderator=moderator, reason="Face visible in frame")
    image.refresh_from_db()
    assert image.status == LesionImage.Status.REJECTED
    assert "Face visible" in mail.outbox[-1].body


def test_a_decision_happens_once(clinician, moderator):
    image = ingest(clinician)
    image_publish(image=image, moderator=moderator)
    with pytest.raises(ValidationError, match="no longer pending"):
        image_reject(image=image, moderator=moderator, reason="late")


def test_withdrawn_image_leaves_public_listings(clinician, moderator, client):
    image = ingest(clinician)
    image_publish(image=image, moderator=moderator)
    image_withdraw(image=image, user=clinician)
    assert not LesionImage.objects.public().exists()
    assert client.get(f"/images/{image.pk}/").status_code == 404
    with pytest.raises(ValidationError):
        image_withdraw(image=image, user=clinician)


def test_someone_else_cannot_withdraw(clinician, researcher):
    image = ingest(clinician)
    with pytest.raises(PermissionDenied):
        image_withdraw(image=image, user=researcher)


def test_request_fulfilment_closes_and_emails_the_requester(
    clinician, moderator, django_capture_on_commit_callbacks
):
    request = ImageRequestFactory(quantity=2)
    rows = demo_rows()
    images = [
        ingest(clinician, rows[i]["image_id"], request=request.pk, fitzpatrick=5) for i in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        image_publish(image=images[0], moderator=moderator)
        request.refresh_from_db()
        assert request.status == ImageRequest.Status.OPEN
        assert request.public_count() == 1
        image_publish(image=images[1], moderator=moderator)
    request.refresh_from_db()
    assert request.status == ImageRequest.Status.FULFILLED
    assert any("fulfilled" in m.subject for m in mail.outbox)
    assert mail.outbox[-1].to == [request.requester.email]


def test_upload_must_match_the_request_it_claims(clinician):
    request = ImageRequestFactory(fitzpatrick_min=5, fitzpatrick_max=6)
    with pytest.raises(ValidationError) as exc:
        ingest(clinician, request=request.pk, fitzpatrick=2)
    assert "request" in exc.value.message_dict


def test_board_orders_by_unmet_need(clinician):
    small = ImageRequestFactory(quantity=2)
    big = ImageRequestFactory(quantity=50)
    assert list(ImageRequest.objects.by_unmet_need()) == [big, small]


def test_plain_users_cannot_post_requests_but_researchers_can(plain_user, researcher):
    from repository.models import Diagnosis

    melanoma = Diagnosis.objects.get(code="mel")
    args = dict(
        diagnosis=melanoma,
        fitzpatrick_min=4,
        fitzpatrick_max=6,
        modality="clinical",
        quantity=10,
        reason="bias audit",
    )
    with pytest.raises(PermissionDenied):
        request_create(requester=plain_user, **args)
    request = request_create(requester=researcher, **args)
    assert _cell("mel", 5).open_requests == 1
    with pytest.raises(ValidationError):
        request_create(requester=researcher, **{**args, "fitzpatrick_min": 6, "fitzpatrick_max": 4})
    with pytest.raises(ValidationError):
        request_create(requester=researcher, **{**args, "quantity": 0})
    with pytest.raises(PermissionDenied):
        request_close(request=request, user=plain_user)
    request_close(request=request, user=researcher)
    assert _cell("mel", 5).open_requests == 0
