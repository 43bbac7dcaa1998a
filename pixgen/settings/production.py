"""Production: PostgreSQL, a networked broker, a shared Redis cache and S3-compatible storage,
all from the environment, behind TLS. Refuses to start without a secret key or a shared cache."""

from .base import *  # noqa: F403
from .env import env_bool, env_cache, env_database, env_int, env_list, env_str

SECRET_KEY = env_str("DJANGO_SECRET_KEY", required=True)
DEBUG = False
DATABASES = {"default": env_database("DATABASE_URL", None)}
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", required=True)
STORAGES = storages_for(env_str("PIXGEN_STORAGE", "s3"))  # noqa: F405
# Throttles and login lockouts count in the cache; each web process's own memory would let
# N processes allow N times the limit.
CACHES = {
    "default": env_cache(
        "PIXGEN_CACHE_URL",
        required_because="a redis:// cache shared by every web process holds the API "
        "throttle and login lockout counters (see README, Configuration).",
    )
}

# Behind TLS (a proxy that sets X-Forwarded-Proto): plain HTTP is redirected to HTTPS and
# browsers are told to keep to HTTPS. Each can be turned off for a deployment that cannot
# have it (DJANGO_SECURE_SSL_REDIRECT=false behind a proxy that already redirects).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Load balancers' health checks may come over plain HTTP: regular expressions of paths.
SECURE_REDIRECT_EXEMPT = env_list("DJANGO_SECURE_REDIRECT_EXEMPT", [])
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Preloading is a promise to browser vendors that the whole domain stays HTTPS for good: an
# operator makes it deliberately (DJANGO_HSTS_PRELOAD=true), so its absence is not a warning.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
