"""Wrong passwords pause sign-in, per account and per address, on every sign-in form."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from repository.models import User
from tests.factories import ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-42"


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    settings.PIXGEN_LOGIN_FAILURES_ACCOUNT = 5
    settings.PIXGEN_LOGIN_FAILURES_ADDRESS = 12
    cache.clear()
    yield
    cache.clear()


def _user(**kwargs) -> User:
    user = UserFactory(**kwargs)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_the_right_password_after_too_many_wrong_ones_is_refused(client):
    user = _user()
    for _ in range(5):
        assert _login(client, user.username, "wrong").status_code == 200
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed sign-ins" in response.content.decode()


def test_a_lock_is_per_account_from_any_address(client):
    user = _user()
    for i in range(5):
        _login(client, user.username, "wrong", address=f"198.51.100.{i}")
    response = _login(client, user.username.upper(), PASSWORD, address="192.0.2.99")
    assert "Too many failed sign-ins" in response.content.decode()


def test_a_lock_is_per_address_across_accounts(client):
    victims = [_user() for _ in range(4)]
    for i in range(12):
        _login(client, victims[i % 4].username, "wrong")  # 3 each: no account is locked
    fresh = _user()
    response = _login(client, fresh.username, PASSWORD)
    assert "Too many failed sign-ins" in response.content.decode()
    # Another address still signs the same account in.
    assert _login(client, fresh.username, PASSWORD, address="192.0.2.1").status_code == 302


def test_a_right_password_before_the_limit_clears_the_account_count(client):
    user = _user()
    for _ in range(4):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, PASSWORD).status_code == 302


def test_the_lock_ends_when_its_window_does(client, settings):
    user = _user()
    for _ in range(5):
        _login(client, user.username, "wrong")
    assert "Too many failed sign-ins" in _login(client, user.username, PASSWORD).content.decode()
    cache.clear()  # the counters expire with the window (PIXGEN_LOGIN_LOCKOUT_MINUTES)
    assert _login(client, user.username, PASSWORD).status_code == 302


def test_the_admin_sign_in_is_guarded_too(client):
    moderator = ModeratorFactory(is_staff=True)
    moderator.set_password(PASSWORD)
    moderator.save()
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": moderator.username, "password": "wrong"})
    response = client.post(url, {"username": moderator.username, "password": PASSWORD})
    assert response.status_code == 200 and "Too many failed sign-ins" in response.content.decode()


def test_the_proxy_address_is_used_only_with_trusted_proxies(rf, settings):
    from repository.services.login_guard import client_address

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_address(request) == "10.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client_address(request) == "203.0.113.9"
