from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from repository.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Limits each API token on its own (a researcher's scripts share none of their quota);
    signed-in browser sessions are limited per user."""

    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


__all__ = ["AnonRateThrottle", "TokenRateThrottle"]
