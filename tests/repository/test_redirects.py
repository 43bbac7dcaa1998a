"""A `next` posted to any form leads back into this site only."""

import pytest
from django.urls import reverse

from repository.models import LesionImage
from tests.conftest import ingest

pytestmark = pytest.mark.django_db

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/path",
    "http:evil.example",
    "javascript:alert(1)",
    "\\\\evil.example",
    "https:///evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_a_moderation_decision_never_redirects_off_site(client, clinician, moderator, target):
    image = ingest(clinician)
    client.force_login(moderator)
    response = client.post(
        reverse("moderation-decide-image", args=[image.pk]),
        {"action": "publish", "next": target},
    )
    assert response.status_code == 302 and response["Location"] == reverse("moderation-queue")
    assert LesionImage.objects.get(pk=image.pk).status == LesionImage.Status.PUBLIC


def test_a_local_next_is_followed(client, clinician, moderator):
    image = ingest(clinician)
    client.force_login(moderator)
    target = reverse("moderation-queue") + "?flagged=1"
    response = client.post(
        reverse("moderation-decide-image", args=[image.pk]),
        {"action": "reject", "reason": "Face visible", "next": target},
    )
    assert response["Location"] == target


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_preferences_switch_never_redirects_off_site(client, target):
    response = client.post(reverse("preferences"), {"theme": "dark", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.post(reverse("preferences"), {"theme": "dark"}, HTTP_REFERER=target)
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(client, clinician, target):
    clinician.set_password("a-long-pass-phrase")
    clinician.save()
    response = client.post(
        reverse("login") + "?next=" + target,
        {"username": clinician.username, "password": "a-long-pass-phrase", "next": target},
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
