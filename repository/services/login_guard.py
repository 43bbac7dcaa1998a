"""Repeated wrong passwords lock sign-in for a while, per account and per network address, so
a password cannot be guessed by trying many. Counters live in the cache (shared by every web
process in production: PIXGEN_CACHE_URL)."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def client_address(request) -> str:
    """The client's address as the API throttles see it: with PIXGEN_NUM_PROXIES trusted
    proxies in front, the address the outermost of them saw; else REMOTE_ADDR."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return remote


def _account_key(username) -> tuple[str, int] | None:
    name = str(username or "").strip().lower()
    if not name:
        return None
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    return f"login-failures:account:{digest}", settings.PIXGEN_LOGIN_FAILURES_ACCOUNT


def _address_key(request) -> tuple[str, int] | None:
    address = client_address(request)
    if not address:
        return None
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"login-failures:address:{digest}", settings.PIXGEN_LOGIN_FAILURES_ADDRESS


def _keys(request, username) -> list[tuple[str, int]]:
    """(cache key, failures allowed) for the account and for the address."""
    return [k for k in (_account_key(username), _address_key(request)) if k is not None]


def _window() -> int:
    return settings.PIXGEN_LOGIN_LOCKOUT_MINUTES * 60


def login_locked_message() -> str:
    return _(
        "Too many failed sign-ins for this account or from your network. Sign-in is paused "
        "for up to %(minutes)s minutes; try again then, or reset your password."
    ) % {"minutes": settings.PIXGEN_LOGIN_LOCKOUT_MINUTES}


def login_check_allowed(*, request, username) -> None:
    """PermissionDenied while the account or the address has used up its failures."""
    for key, allowed in _keys(request, username):
        if (cache.get(key) or 0) >= allowed:
            raise PermissionDenied(login_locked_message())


def login_failure_record(*, request, username) -> None:
    # The window runs from the first failure; a lock ends when it does.
    for key, _allowed in _keys(request, username):
        cache.add(key, 0, timeout=_window())
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=_window())


def login_success_record(*, request, username) -> None:
    """A right password clears the account's count (not the address's: one good account
    must not reset guessing at others from the same address)."""
    account = _account_key(username)
    if account is not None:
        cache.delete(account[0])
