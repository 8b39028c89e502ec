"""Kolony settings, read from environment variables with django-environ.

Every variable is documented in `.env.example`. Development defaults are safe for a laptop;
with ``DEBUG=false`` the settings pass ``manage.py check --deploy`` (HTTPS redirects, HSTS,
secure cookies) and a real ``SECRET_KEY`` is required.
"""

from pathlib import Path
from urllib.parse import urlparse

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = BASE_DIR / ".env"
if _env_file.exists():
    environ.Env.read_env(str(_env_file))

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "django-insecure-kolony-development-only-key-change-me-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_rq",
    "channels",
    "django_htmx",
    "kolony.accounts",
    "kolony.core",
    "campaigns",
    "videogen",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kolony.tenancy.CurrentOrganizationMiddleware",
]

ROOT_URLCONF = "kolony.urls"
WSGI_APPLICATION = "kolony.wsgi.application"
ASGI_APPLICATION = "kolony.asgi.application"

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
                "kolony.core.context_processors.navigation",
            ],
        },
    },
]

# PostgreSQL via psycopg 3 when DATABASE_URL is set; SQLite only as a zero-config fallback.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'kolony.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# Lets parallel test runs (or two developers on one server) use their own test database.
if env.str("KOLONY_TEST_DB_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("KOLONY_TEST_DB_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend with the per-request user look-up served from the shared identity cache
# (kolony.accounts.identity); sessions signed in before it named ModelBackend and sign in again.
AUTHENTICATION_BACKENDS = ["kolony.accounts.backends.CachedModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("KOLONY_STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("KOLONY_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
KOLONY_MODELS_DIR = env.path("KOLONY_MODELS_DIR", default=BASE_DIR / "var" / "models")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
KOLONY_S3_BUCKET = env.str("KOLONY_S3_BUCKET", default="")
if KOLONY_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": KOLONY_S3_BUCKET, "endpoint_url": env.str("KOLONY_S3_ENDPOINT_URL", default=None)},
    }

# Redis: RQ queues and the Channels layer.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
_REDIS_DB = int((urlparse(REDIS_URL).path or "/0").strip("/") or 0)
RQ_QUEUES = {
    name: {"URL": REDIS_URL, "DB": _REDIS_DB, "DEFAULT_TIMEOUT": timeout}
    for name, timeout in (("default", 600), ("render", 1800), ("gpu", 3600))
}
RQ_SHOW_ADMIN_LINK = True
# Jobs enqueued inside a transaction reach Redis only once it commits.
RQ = {"COMMIT_MODE": "on_db_commit"}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("KOLONY_CHANNEL_PREFIX", default="kolony")},
    }
}

# E-mail: console backend by default (password reset and invitations print to the terminal).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kolony <no-reply@kolony.test>")

# Invitations expire after this many seconds (7 days by default).
KOLONY_INVITATION_MAX_AGE = env.int("KOLONY_INVITATION_MAX_AGE", default=7 * 24 * 3600)
# Key for OAuth tokens encrypted at rest (Fernet); derived from SECRET_KEY when unset.
KOLONY_FIELD_ENCRYPTION_KEY = env.str("KOLONY_FIELD_ENCRYPTION_KEY", default="")
# Optional OpenAI-compatible planner endpoint.
KOLONY_LLM_URL = env.str("KOLONY_LLM_URL", default="")
KOLONY_LLM_MODEL = env.str("KOLONY_LLM_MODEL", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kolony.accounts.backends.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "kolony.core.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kolony API",
    "DESCRIPTION": "Campaigns, video ad generation, approvals and results. Authenticate with "
    "`Authorization: Token <token>` from `POST /api/v1/auth/token/`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# Sessions are written through to the database and read from Redis (one round trip fewer per page).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "sessions": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "kolony-session"},
    # signed-in users and their memberships, shared by every web process (kolony.accounts.identity)
    "identity": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "kolony-identity"},
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR",
     # One schema name per choice set (drf-spectacular warns when names collide).
     "ENUM_NAME_OVERRIDES": {
         "PlatformEnum": "campaigns.choices.Platform",
         "DeliveryStatusEnum": "campaigns.choices.Status",
         "VideoJobStatusEnum": "videogen.models.JobStatus",
     }}
)

# Largest upload accepted by the Video Studio (photos, logos, clips), in megabytes.
KOLONY_MAX_UPLOAD_MB = env.int("KOLONY_MAX_UPLOAD_MB", default=200)
