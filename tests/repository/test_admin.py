"""The Django admin cannot get round the services: status fields are read-only, permission flags
are for superusers only, and nothing synthetic becomes public without dermatologist review."""

import json

import pytest
from django import forms

from repository.models import LesionImage, Release, User
from repository.services.moderation import image_publish, image_withdraw
from synthesis.models import Review, SyntheticImage
from tests.conftest import ingest
from tests.factories import ModeratorFactory, ReviewerFactory, UserFactory
from tests.repository.test_api_synthetic import _synthetic

pytestmark = pytest.mark.django_db


def change_form_data(response) -> dict:
    """What the admin's change form would send back unchanged: its editable fields' values."""
    form = response.context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        if field.disabled or isinstance(field, forms.FileField):
            continue
        value = form.initial.get(name, field.initial)
        if isinstance(field, forms.SplitDateTimeField):
            if value:
                data[f"{name}_0"] = value.date().isoformat()
                data[f"{name}_1"] = value.time().strftime("%H:%M:%S")
        elif isinstance(field, forms.JSONField):
            data[name] = json.dumps(value)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is None:
            data[name] = ""
        elif isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    return data


def admin_post(client, url: str, **changes):
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = change_form_data(page) | changes
    return client.post(url, data)


@pytest.fixture
def public_image(clinician, moderator):
    image = ingest(clinician)
    image_publish(image=image, moderator=moderator)
    return image


def test_a_moderator_cannot_approve_a_synthetic_image_in_the_admin(client, public_image):
    maker, moderator = ModeratorFactory(), ModeratorFactory()
    synthetic = _synthetic(public_image, status="pending_review", created_by=maker)
    client.force_login(moderator)
    url = f"/admin/synthesis/syntheticimage/{synthetic.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and "status" not in page.context["adminform"].form.fields
    response = client.post(url, {"status": "approved", "fitzpatrick": "1"})
    assert response.status_code == 403
    synthetic.refresh_from_db()
    assert synthetic.status == "pending_review" and synthetic.fitzpatrick == 6
    assert not SyntheticImage.objects.public().filter(pk=synthetic.pk).exists()


def test_a_moderator_cannot_republish_a_withdrawn_image_in_the_admin(
    client, public_image, clinician, moderator
):
    image_withdraw(image=public_image, user=clinician)
    client.force_login(moderator)
    url = f"/admin/repository/lesionimage/{public_image.pk}/change/"
    response = admin_post(client, url, status="public", withdrawn_at="")
    assert response.status_code == 302  # the rest of the form saves
    public_image.refresh_from_db()
    assert public_image.status == "withdrawn" and public_image.withdrawn_at is not None
    # Fields the services own (a False consent would even break a constraint) stay read-only.
    fields = client.get(url).context["adminform"].form.fields
    assert not {"consent_attested", "contributor", "moderated_by", "tone_flagged"} & set(fields)
    assert not LesionImage.objects.public().filter(pk=public_image.pk).exists()


@pytest.mark.parametrize(
    "flag", ["is_superuser", "is_staff", "groups", "user_permissions", "is_moderator"]
)
def test_a_moderator_cannot_grant_permission_flags_in_the_admin(client, moderator, flag):
    person = UserFactory()
    client.force_login(moderator)
    url = f"/admin/repository/user/{person.pk}/change/"
    page = client.get(url)
    assert flag not in page.context["adminform"].form.fields
    value = ["1"] if flag in ("groups", "user_permissions") else "on"
    admin_post(client, url, **{flag: value})
    person.refresh_from_db()
    assert not (person.is_superuser or person.is_staff or person.is_moderator)
    assert not person.user_permissions.exists() and not person.groups.exists()


def test_a_superuser_still_manages_permission_flags(client):
    boss = User.objects.create_superuser("boss", "boss@example.org", "pw-long-enough-123")
    person = UserFactory()
    client.force_login(boss)
    url = f"/admin/repository/user/{person.pk}/change/"
    assert "is_superuser" in client.get(url).context["adminform"].form.fields
    admin_post(client, url, is_superuser="on", is_staff="on")
    person.refresh_from_db()
    assert person.is_superuser and person.is_staff


def test_a_moderator_cannot_change_a_superuser_nor_anyones_password(client, moderator):
    boss = User.objects.create_superuser("boss", "boss@example.org", "pw-long-enough-123")
    peer = ModeratorFactory()
    client.force_login(moderator)
    assert client.post(f"/admin/repository/user/{boss.pk}/change/", {}).status_code == 403
    for person in (boss, peer):
        response = client.post(
            f"/admin/repository/user/{person.pk}/password/",
            {"password1": "taken-over-4321", "password2": "taken-over-4321"},
        )
        assert response.status_code == 403
        person.refresh_from_db()
        assert not person.check_password("taken-over-4321")
    assert client.get("/admin/repository/user/add/").status_code == 403


def test_reviews_settlements_and_releases_are_read_only_in_the_admin(
    client, public_image, moderator
):
    synthetic = _synthetic(public_image, status="pending_review", created_by=ModeratorFactory())
    review = Review.objects.create(
        synthetic=synthetic,
        reviewer=ReviewerFactory(),
        decision="reject",
        realism=2,
        tone_correct=False,
        features_preserved=True,
        comment="blotchy",
    )
    release = Release.objects.create(
        tag="2026.11", title="t", created_by=moderator, created_at=public_image.created_at
    )
    client.force_login(moderator)
    assert client.get(f"/admin/synthesis/review/{review.pk}/change/").status_code == 200
    changed = client.post(f"/admin/synthesis/review/{review.pk}/change/", {"decision": "approve"})
    assert changed.status_code == 403
    review.refresh_from_db()
    assert review.decision == "reject"
    assert client.get("/admin/synthesis/review/add/").status_code == 403
    assert client.get("/admin/synthesis/reviewsettlement/add/").status_code == 403
    url = f"/admin/repository/release/{release.pk}/change/"
    assert client.post(url, {"status": "succeeded"}).status_code == 403
    release.refresh_from_db()
    assert release.status == "queued"


@pytest.mark.parametrize(
    ("model", "make"),
    [
        ("repository/export", "export"),
        ("repository/clinicianapplication", "application"),
        ("repository/imagerequest", "request"),
        ("synthesis/synthesisjob", "job"),
    ],
)
def test_other_status_fields_are_read_only_in_the_admin(client, moderator, clinician, model, make):
    from repository.models import Export
    from synthesis.models import SynthesisJob
    from tests.factories import ImageRequestFactory

    row = {
        "export": lambda: Export.objects.create(created_by=moderator),
        "application": lambda: clinician.clinician_application,
        "request": lambda: ImageRequestFactory(),
        "job": lambda: SynthesisJob.objects.create(kind="tone_transfer", created_by=moderator),
    }[make]()
    client.force_login(moderator)
    page = client.get(f"/admin/{model}/{row.pk}/change/")
    assert page.status_code == 200
    assert "status" not in page.context["adminform"].form.fields


def test_a_moderator_revokes_tokens_with_the_admin_action_not_by_editing(
    client, moderator, researcher
):
    from repository.models import ApiToken
    from repository.services.accounts import api_token_issue

    token, _key = api_token_issue(user=researcher, name="laptop")
    client.force_login(moderator)
    page = client.get(f"/admin/repository/apitoken/{token.pk}/change/")
    assert "revoked_at" not in page.context["adminform"].form.fields
    response = client.post(
        "/admin/repository/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
