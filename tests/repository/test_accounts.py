import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from repository.models import ApiToken, ClinicianApplication
from repository.services.accounts import (
    api_token_issue,
    api_token_revoke,
    clinician_apply,
    clinician_decide,
    data_terms_accept,
    role_set,
)

pytestmark = pytest.mark.django_db

APPLICATION = dict(
    licence_number="MDCN/12345",
    issuing_authority="Medical and Dental Council of Nigeria",
    country="Nigeria",
    institution="LUTH",
    specialty="Dermatology",
)


def test_approved_applicant_becomes_contributor_and_is_told(
    plain_user, moderator, django_capture_on_commit_callbacks
):
    application = clinician_apply(user=plain_user, **APPLICATION)
    assert not plain_user.is_verified_clinician
    with django_capture_on_commit_callbacks(execute=True):
        clinician_decide(application=application, moderator=moderator, approve=True)
    plain_user.refresh_from_db()
    assert plain_user.is_verified_clinician
    assert mail.outbox[-1].to == [plain_user.email]


def test_rejection_needs_a_reason_and_the_applicant_can_reapply(
    plain_user, moderator, django_capture_on_commit_callbacks
):
    application = clinician_apply(user=plain_user, **APPLICATION)
    with pytest.raises(ValidationError):
        clinician_decide(application=application, moderator=moderator, approve=False)
    with django_capture_on_commit_callbacks(execute=True):
        clinician_decide(
            application=application, moderator=moderator, approve=False, reason="Licence not found"
        )
    assert "Licence not found" in mail.outbox[-1].body
    again = clinician_apply(user=plain_user, **{**APPLICATION, "licence_number": "MDCN/54321"})
    assert again.status == ClinicianApplication.Status.PENDING


def test_application_needs_every_field(plain_user):
    with pytest.raises(ValidationError) as exc:
        clinician_apply(user=plain_user, **{**APPLICATION, "licence_number": " "})
    assert "licence_number" in exc.value.message_dict


def test_only_moderators_decide_and_only_once(plain_user, clinician, moderator):
    application = clinician_apply(user=plain_user, **APPLICATION)
    with pytest.raises(PermissionDenied):
        clinician_decide(application=application, moderator=clinician, approve=True)
    clinician_decide(application=application, moderator=moderator, approve=True)
    with pytest.raises(ValidationError):
        clinician_decide(application=application, moderator=moderator, approve=False, reason="x")


def test_moderator_grants_reviewer_and_moderator_roles(plain_user, moderator, clinician):
    with pytest.raises(PermissionDenied):
        role_set(user=plain_user, role="reviewer", granted=True, moderator=clinician)
    role_set(user=plain_user, role="reviewer", granted=True, moderator=moderator)
    role_set(user=plain_user, role="moderator", granted=True, moderator=moderator)
    plain_user.refresh_from_db()
    assert plain_user.is_reviewer and plain_user.is_moderator and plain_user.is_staff
    with pytest.raises(ValidationError):
        role_set(user=moderator, role="moderator", granted=False, moderator=moderator)
    with pytest.raises(ValidationError):
        role_set(user=plain_user, role="emperor", granted=True, moderator=moderator)


def test_token_is_issued_after_terms_stored_hashed_and_revocable(plain_user, client):
    with pytest.raises(PermissionDenied):
        api_token_issue(user=plain_user)
    token, key = data_terms_accept(user=plain_user)
    assert plain_user.is_researcher
    assert key not in (token.key_hash, token.prefix) and token.key_hash == ApiToken.hash_key(key)
    api_token_revoke(token=token, user=plain_user)
    assert not ApiToken.objects.active().exists()
