"""Production: PostgreSQL, a networked broker and S3-compatible storage, all from the
environment. Refuses to start without a secret key."""

from .base import *  # noqa: F403
from .env import env_bool, env_database, env_int, env_str

SECRET_KEY = env_str("DJANGO_SECRET_KEY", required=True)
DEBUG = False
DATABASES = {"default": env_database("DATABASE_URL", None)}
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", required=True)
STORAGES = storages_for(env_str("PIXGEN_STORAGE", "s3"))  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0, minimum=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
