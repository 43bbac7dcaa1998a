"""Settings shared by every environment; each value that differs between machines comes from
the environment (see README, "Configuration")."""

import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_cache, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("PIXGEN_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "repository",
    "synthesis",
]

MIDDLEWARE = [
    "pixgen.gc_tuning.ReleaseReferenceCycles",
    "repository.middleware.RetryReadAfterLostConnection",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "repository.language.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "repository.middleware.reject_nul_bytes",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "pixgen.urls"
WSGI_APPLICATION = "pixgen.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "repository.context_processors.preferences",
            ],
        },
    },
]

AUTH_USER_MODEL = "repository.User"
# Django's model backend, counting wrong passwords and pausing sign-in after too many.
AUTHENTICATION_BACKENDS = ["repository.auth_backends.GuardedModelBackend"]
PIXGEN_LOGIN_FAILURES_ACCOUNT = env_int("PIXGEN_LOGIN_FAILURES_ACCOUNT", 5, minimum=1)
PIXGEN_LOGIN_FAILURES_ADDRESS = env_int("PIXGEN_LOGIN_FAILURES_ADDRESS", 30, minimum=1)
PIXGEN_LOGIN_LOCKOUT_MINUTES = env_int("PIXGEN_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The site's default language: for a visitor whose browser asks for none of LANGUAGES, and the
# language management commands print in (Django runs commands in LANGUAGE_CODE, whatever the
# shell's LANG says, so scripts and logs read the same on every machine).
LANGUAGE_CODE = env_choice("PIXGEN_LANGUAGE_CODE", "en", ("en", "ja", "id"))
# Each language is offered by its own name (see the switcher in templates/base.html).
LANGUAGES = [("en", _("English")), ("ja", _("Japanese")), ("id", _("Indonesian"))]
LANGUAGE_COOKIE_NAME = "pixgen_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Our own English formats (ISO dates); Japanese and Indonesian use Django's locale formats.
FORMAT_MODULE_PATH = ["pixgen.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Media is never served from a public URL: every file goes through a view that checks who
# may see it (pending and rejected images are not public).
MEDIA_ROOT = Path(env_str("PIXGEN_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-public/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "PixGen <noreply@pixgen.invalid>")

# Celery: the broker comes from the environment; tasks record their state on our own rows, so
# no result backend is needed.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", None)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Training runs on its own queue so a GPU worker can take it (`celery worker -Q training`).
CELERY_TASK_ROUTES = {"synthesis.tasks.train_*": {"queue": "training"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "repository.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "EXCEPTION_HANDLER": "repository.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "repository.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "repository.api.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "repository.api.throttling.AnonRateThrottle",
        "repository.api.throttling.TokenRateThrottle",
    ],
    # Per anonymous client (by address) and per API token; e.g. "120/min", "10000/day".
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("PIXGEN_API_ANON_RATE", "120/min"),
        "token": env_str("PIXGEN_API_TOKEN_RATE", "1200/min"),
    },
    "NUM_PROXIES": env_int("PIXGEN_NUM_PROXIES", 0, minimum=0),
}
# What anonymous API clients may do: "read" (list, detail, coverage, files of public images)
# or "none" (every API call needs a session or a researcher token).
PIXGEN_API_ANONYMOUS = env_choice("PIXGEN_API_ANONYMOUS", "read", ("read", "none"))

SPECTACULAR_SETTINGS = {
    "TITLE": "PixGen API",
    "DESCRIPTION": "The open database of skin-disease images on every skin tone. Synthetic "
    "images are always labelled (`origin`) and public only after dermatologist review.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "repository.api.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "FitzpatrickEnum": "repository.vocabulary.Fitzpatrick",
        "ImageStatusEnum": "repository.models.lesion_image.LesionImage.Status",
        "RequestStatusEnum": "repository.models.image_request.ImageRequest.Status",
    },
}

# The throttle counters must be shared by every web process in production: point this at Redis.
CACHES = {"default": env_cache("PIXGEN_CACHE_URL")}

# PixGen's own limits.
PIXGEN_MAX_UPLOAD_BYTES = env_int("PIXGEN_MAX_UPLOAD_MB", 20, minimum=1) * 1024 * 1024
PIXGEN_MAX_IMAGE_PIXELS = env_int("PIXGEN_MAX_IMAGE_PIXELS", 40_000_000, minimum=1)
PIXGEN_THUMBNAIL_SIZE = env_int("PIXGEN_THUMBNAIL_SIZE", 320, minimum=32)
PIXGEN_COVERAGE_THIN_BELOW = env_int("PIXGEN_COVERAGE_THIN_BELOW", 10, minimum=1)
# A measured Fitzpatrick estimate this many types away from the clinician's label is flagged.
PIXGEN_TONE_FLAG_DISTANCE = env_int("PIXGEN_TONE_FLAG_DISTANCE", 2, minimum=1)
PIXGEN_MAX_BATCH_FILES = env_int("PIXGEN_MAX_BATCH_FILES", 200, minimum=1)
# How long the gallery keeps a query's facet counts (0: count on every request).
PIXGEN_GALLERY_FACET_CACHE_SECONDS = env_int("PIXGEN_GALLERY_FACET_CACHE_SECONDS", 30, minimum=0)
DATA_UPLOAD_MAX_NUMBER_FILES = PIXGEN_MAX_BATCH_FILES + 1
# Exports up to this many images stream at once; larger ones are built by the worker.
PIXGEN_EXPORT_STREAM_MAX = env_int("PIXGEN_EXPORT_STREAM_MAX", 500, minimum=1)
# Synthesis: the most outputs one job may make, and the soft time limits (seconds) of its tasks.
PIXGEN_SYNTHESIS_MAX_JOB_ITEMS = env_int("PIXGEN_SYNTHESIS_MAX_JOB_ITEMS", 2000, minimum=1)
PIXGEN_TONE_JOB_TIME_LIMIT = env_int("PIXGEN_TONE_JOB_TIME_LIMIT", 3 * 3600, minimum=60)
PIXGEN_TRAINING_TIME_LIMIT = env_int("PIXGEN_TRAINING_TIME_LIMIT", 6 * 3600, minimum=60)
# Redis hands an unacknowledged task to another worker after the visibility timeout. It must
# outlast the longest hard time limit, or a task still running would be delivered twice; a
# worker that dies is noticed sooner by the job harness's heartbeat and sweep.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": max(PIXGEN_TONE_JOB_TIME_LIMIT, PIXGEN_TRAINING_TIME_LIMIT, 3600) + 900
}
# torch threads per training task: more than the cores a worker owns only slows it down.
PIXGEN_TRAINING_THREADS = env_int("PIXGEN_TRAINING_THREADS", 1, minimum=1)
# torch threads per worker pool process (segmentation, tone transfer, generation): the pool
# runs one process per core by default, so one thread each; more oversubscribes the cores.
PIXGEN_WORKER_THREADS = env_int("PIXGEN_WORKER_THREADS", 1, minimum=1)
# Dermatologist review: independent reviews per synthetic image, and what publishes it
# ("all": every required review approves; "majority"); a split goes to a moderator.
PIXGEN_REVIEWS_REQUIRED = env_int("PIXGEN_REVIEWS_REQUIRED", 2, minimum=1)
PIXGEN_REVIEW_PUBLISH_RULE = env_choice("PIXGEN_REVIEW_PUBLISH_RULE", "all", ("all", "majority"))
# DCGAN: most images one generation request may make; evaluation budgets.
PIXGEN_GENERATION_MAX_COUNT = env_int("PIXGEN_GENERATION_MAX_COUNT", 256, minimum=1)
PIXGEN_GAN_BASELINE_STEPS = env_int("PIXGEN_GAN_BASELINE_STEPS", 500, minimum=1)
PIXGEN_GAN_ENCODER_STEPS = env_int("PIXGEN_GAN_ENCODER_STEPS", 300, minimum=1)
PIXGEN_GAN_EVAL_PER_CONDITION = env_int("PIXGEN_GAN_EVAL_PER_CONDITION", 16, minimum=2)
# The job harness (synthesis/services/job_harness.py): a running job whose heartbeat is older
# than this lost its worker and is taken over; a queued job not started this long after its
# dispatch is sent again; a job that takes its worker down this many times is failed.
PIXGEN_JOB_STALE_SECONDS = env_int(
    "PIXGEN_JOB_STALE_SECONDS",
    env_int("PIXGEN_GAN_HEARTBEAT_STALE_SECONDS", 120, minimum=2),
    minimum=2,  # must outlast a few heartbeats (one every 2 s); tests use 4
)
PIXGEN_JOB_REDISPATCH_SECONDS = env_int("PIXGEN_JOB_REDISPATCH_SECONDS", 900, minimum=30)
PIXGEN_JOB_MAX_ATTEMPTS = env_int("PIXGEN_JOB_MAX_ATTEMPTS", 3, minimum=1)
PIXGEN_JOB_SWEEP_SECONDS = env_int("PIXGEN_JOB_SWEEP_SECONDS", 60, minimum=5)
# Bias audits: bootstrap resamples behind each confidence interval.
PIXGEN_AUDIT_BOOTSTRAP = env_int("PIXGEN_AUDIT_BOOTSTRAP", 1000, minimum=50)
# The public address of this site, written into Croissant metadata and release citations.
PIXGEN_SITE_URL = env_str("PIXGEN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# A DataCite DOI prefix (e.g. 10.5072 for DataCite's test prefix): releases then carry the DOI
# 10.xxxx/pixgen.<tag> in their DataCite metadata and CITATION.cff, ready to register.
PIXGEN_DOI_PREFIX = env_str("PIXGEN_DOI_PREFIX", "")
if PIXGEN_DOI_PREFIX and not re.fullmatch(r"10\.\d{4,9}", PIXGEN_DOI_PREFIX):
    raise ImproperlyConfigured("PIXGEN_DOI_PREFIX is a DOI prefix such as 10.5072.")
# Let large uploads reach the ingest service, which measures them and says what the cap is.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PIXGEN_LOG_LEVEL", "INFO")},
}


def filesystem_broker(folder: Path) -> tuple[str, dict]:
    """kombu's filesystem transport: a real broker that needs no server, for one machine."""
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        # How long an idle worker sleeps between looks at the queue folder (kombu: 1 s). Each
        # task waits out one sleep before a free pool process gets it; a look costs a listdir.
        "polling_interval": 0.1,
    }


def s3_storage_options() -> dict:
    return {
        "bucket_name": env_str("PIXGEN_S3_BUCKET", required=True),
        "endpoint_url": env_str("PIXGEN_S3_ENDPOINT_URL", None),
        "region_name": env_str("PIXGEN_S3_REGION", None),
        "access_key": env_str("PIXGEN_S3_ACCESS_KEY", None),
        "secret_key": env_str("PIXGEN_S3_SECRET_KEY", None),
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }


def storages_for(backend: str) -> dict:
    static = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}
    if backend == "s3":
        default = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_storage_options()}
    elif backend == "local":
        default = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"PIXGEN_STORAGE={backend!r}: use 'local' or 's3'.")
    return {"default": default, "staticfiles": static}
