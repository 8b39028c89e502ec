"""Kolony settings, read from environment variables with django-environ.

Every variable is documented in `.env.example`. Development defaults are safe for a laptop;
with ``DEBUG=false`` the settings pass ``manage.py check --deploy`` (HTTPS redirects, HSTS,
secure cookies) and a real ``SECRET_KEY`` is required.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = BASE_DIR / ".env"
if _env_file.exists():
    environ.Env.read_env(str(_env_file))

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "django-insecure-kolony-development-only-key-change-me-0123456789"  # noqa: S105 - development-only fallback; check --deploy refuses it
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
    "axes",
    "kolony.accounts",
    "kolony.core",
    "kolony.outbox",
    "kolony.notifications",
    "campaigns",
    "videogen",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # 413 from Content-Length before any upload body is read (the CSRF check would read it whole)
    "kolony.core.upload_limit.UploadSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kolony.tenancy.CurrentOrganizationMiddleware",
    # turns a django-axes sign-in lockout into the 429 sign-in page / API error
    "axes.middleware.AxesMiddleware",
    # NUL bytes, JSON nesting/size limits → 400/413 naming the parameter (kolony/core/request_validation.py)
    "kolony.core.request_validation.RequestValidationMiddleware",
    # a Redis outage escaping a view → 503 page / JSON naming the cause, not a 500 (kolony/core/outage.py)
    "kolony.core.outage.RedisOutageMiddleware",
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
                "billing.context_processors.payment_banner",
            ],
            "builtins": ["kolony.core.templatetags.time_ago"],
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
# Reverse proxies in front of the web servers that append to X-Forwarded-For and set
# X-Forwarded-Proto/-Host (0: clients connect directly and REMOTE_ADDR is the client). One number
# for the client address of sign-in lockouts (django-axes), API throttles and HTTPS detection.
KOLONY_TRUSTED_PROXY_COUNT = env.int("KOLONY_TRUSTED_PROXY_COUNT", default=0)
# Sign-in brute force (django-axes, counted in the database): AXES_FAILURE_LIMIT wrong passwords
# for one account from one client address lock that pair out for the cool-off, right password or not.
AXES_FAILURE_LIMIT = env.int("KOLONY_SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KOLONY_SIGN_IN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_USERNAME_CALLABLE = "kolony.accounts.security.axes_username"
AXES_CLIENT_IP_CALLABLE = "kolony.accounts.security.client_ip"
AXES_LOCKOUT_CALLABLE = "kolony.accounts.security.lockout_response"
AXES_VERBOSE = False
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
# Generated scenes (videogen/generation.py): how long a render waits for the GPU worker per scene.
KOLONY_GPU_SCENE_TIMEOUT_S = env.int("KOLONY_GPU_SCENE_TIMEOUT_S", default=600)
# Voice briefs (videogen/voice_brief.py): how long the wizard waits for the GPU worker's transcript.
KOLONY_VOICE_BRIEF_TIMEOUT_S = env.int("KOLONY_VOICE_BRIEF_TIMEOUT_S", default=180)

STORAGES: dict[str, dict[str, Any]] = {
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
        # Private objects: kolony/core/media.py hands out presigned URLs (5 minutes) after its tenancy check.
        "OPTIONS": {"bucket_name": KOLONY_S3_BUCKET, "endpoint_url": env.str("KOLONY_S3_ENDPOINT_URL", default=None),
                    "querystring_auth": True, "querystring_expire": 300, "default_acl": None, "file_overwrite": False,
                    "signature_version": "s3v4"},
    }

# Redis: RQ queues and the Channels layer.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
_REDIS_DB = int((urlparse(REDIS_URL).path or "/0").strip("/") or 0)
# An unreachable Redis host fails an enqueue within 2 s (the job then waits in the outbox).
_RQ_URL = REDIS_URL + ("&" if "?" in REDIS_URL else "?") + "socket_connect_timeout=2"
RQ_QUEUES = {
    name: {"URL": _RQ_URL, "DB": _REDIS_DB, "DEFAULT_TIMEOUT": timeout}
    for name, timeout in (("default", 600), ("render", 1800), ("gpu", 3600), ("publish", 1800))
}
RQ_SHOW_ADMIN_LINK = True
# Jobs enqueued inside a transaction reach Redis only once it commits. Kolony code enqueues through
# kolony.outbox.services.enqueue_on_commit (a row in the same transaction, sent after the commit and
# by the sweep of every KolonyWorker / `manage.py outbox_sweep`, so an outage loses nothing).
RQ = {"COMMIT_MODE": "on_db_commit", "WORKER_CLASS": "kolony.outbox.worker.KolonyWorker"}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("KOLONY_CHANNEL_PREFIX", default="kolony")},
    }
}

# E-mail: console backend by default (password reset and invitations print to the terminal).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kolony <no-reply@kolony.test>")
# SMTP in one variable (django-environ): EMAIL_URL=smtp+tls://user:password@smtp.example.com:587 sets
# EMAIL_BACKEND (SMTP), EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and EMAIL_USE_TLS/SSL.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds; a hung SMTP server fails the e-mail job, not a page
# Where e-mailed links point (notification e-mails): scheme://host[:port], no trailing slash.
KOLONY_SITE_URL = env.str("KOLONY_SITE_URL", default="http://localhost:8000").rstrip("/")

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
    # Counted in CACHES["throttle"] (Redis, shared by every process); 429 in the API error format.
    "DEFAULT_THROTTLE_CLASSES": ["kolony.accounts.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("KOLONY_API_RATE", default="1200/minute"),
        "sign_in": env.str("KOLONY_SIGN_IN_RATE", default="30/minute"),
    },
    # X-Forwarded-For entries appended by our own proxies; the client is the address before them.
    "NUM_PROXIES": KOLONY_TRUSTED_PROXY_COUNT,
    "DEFAULT_PARSER_CLASSES": [  # DRF's parsers + NUL / nesting checks (400 naming the field)
        "kolony.core.request_validation.JSONParser",
        "kolony.core.request_validation.FormParser",
        "kolony.core.request_validation.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kolony API",
    "DESCRIPTION": "Campaigns, video ad generation, approvals and results. Authenticate with "
    "`Authorization: Token <token>` from `POST /api/v1/auth/token/`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error responses (400/401/403/404/413/415/429) in the API's error format.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "kolony.core.openapi.add_error_responses"],
}

# Sessions are written through to the database and read from Redis (one round trip fewer per page).
# The Redis caches treat an unreachable Redis as a miss (kolony/core/rediscache.py), so sign-in and
# pages keep working from the database during an outage.
_REDIS_CACHE = "kolony.core.rediscache.ResilientRedisCache"
_REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "sessions": {"BACKEND": _REDIS_CACHE, "LOCATION": REDIS_URL, "KEY_PREFIX": "kolony-session",
        "OPTIONS": _REDIS_CACHE_OPTIONS},
    # signed-in users and their memberships, shared by every web process (kolony.accounts.identity)
    "identity": {"BACKEND": _REDIS_CACHE, "LOCATION": REDIS_URL, "KEY_PREFIX": "kolony-identity",
        "OPTIONS": _REDIS_CACHE_OPTIONS},
    # API rate-limit counters shared by every web process (kolony.accounts.throttling)
    "throttle": {"BACKEND": _REDIS_CACHE, "LOCATION": REDIS_URL, "KEY_PREFIX": "kolony-throttle",
        "OPTIONS": _REDIS_CACHE_OPTIONS},
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if KOLONY_TRUSTED_PROXY_COUNT:
    # Only behind our own proxies: they set (overwrite) X-Forwarded-Proto/-Host; a direct client could forge them.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=True)
if not DEBUG:
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

# Largest upload accepted by the Video Studio (photos, logos, clips) and campaign ad creatives, in
# megabytes; larger requests get 413 from their Content-Length, before the body is read.
KOLONY_MAX_UPLOAD_MB = env.int("KOLONY_MAX_UPLOAD_MB", default=200)
# Creative tests (campaigns/experiments): the smallest relative lift worth acting on (the power
# calculation's target, 0.10 = 10 %) and the impressions every variant needs before any verdict.
KOLONY_EXPERIMENT_MIN_LIFT = env.float("KOLONY_EXPERIMENT_MIN_LIFT", default=0.10)
KOLONY_EXPERIMENT_MIN_IMPRESSIONS = env.int("KOLONY_EXPERIMENT_MIN_IMPRESSIONS", default=1000)
# Uploaded files above 2.5 MiB are streamed to a temporary file, never held in memory; form fields
# (everything but files) are capped at 2.5 MiB (Django's defaults, stated).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Billing (Stripe, the `billing` app). With no STRIPE_SECRET_KEY billing is disabled: every
# organization is on the unlimited internal plan and the render gate always allows (labelled in the UI).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# The API version stripe 16.1.0 ships with (stripe.api_version); pinned so payloads keep their shape.
STRIPE_API_VERSION = env.str("STRIPE_API_VERSION", default="2026-10-28.endive")
# A local stand-in (localstripe + our endpoints) instead of api.stripe.com; empty = Stripe itself.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_PRICE_PRO = env.str("STRIPE_PRICE_PRO", default="")
STRIPE_PRICE_AGENCY = env.str("STRIPE_PRICE_AGENCY", default="")
STRIPE_METER_EVENT_NAME = env.str("STRIPE_METER_EVENT_NAME", default="kolony_render_seconds")
# Days a paid organization keeps its plan after a failed payment before it drops to Free.
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)
BILLING_ENABLED = bool(STRIPE_SECRET_KEY)

# Ad platforms (campaigns/platforms/). Every URL is a setting so tests and `make run` point the
# official SDKs at the local stand-ins in tests/fakes/ (`manage.py platform_standins`).
META_APP_ID = env.str("META_APP_ID", default="")
META_APP_SECRET = env.str("META_APP_SECRET", default="")
META_API_VERSION = env.str("META_API_VERSION", default="v26.0")
META_OAUTH_AUTHORIZE_URL = env.str("META_OAUTH_AUTHORIZE_URL", default="https://www.facebook.com/v26.0/dialog/oauth")
META_GRAPH_URL = env.str("META_GRAPH_URL", default="https://graph.facebook.com")
META_GRAPH_VIDEO_URL = env.str("META_GRAPH_VIDEO_URL", default="https://graph-video.facebook.com")
META_OAUTH_SCOPES = env.str("META_OAUTH_SCOPES", default="ads_management,ads_read,business_management")
GOOGLE_ADS_CLIENT_ID = env.str("GOOGLE_ADS_CLIENT_ID", default="")
GOOGLE_ADS_CLIENT_SECRET = env.str("GOOGLE_ADS_CLIENT_SECRET", default="")
GOOGLE_ADS_DEVELOPER_TOKEN = env.str("GOOGLE_ADS_DEVELOPER_TOKEN", default="")
GOOGLE_ADS_LOGIN_CUSTOMER_ID = env.str("GOOGLE_ADS_LOGIN_CUSTOMER_ID", default="")
GOOGLE_OAUTH_AUTHORIZE_URL = env.str("GOOGLE_OAUTH_AUTHORIZE_URL", default="https://accounts.google.com/o/oauth2/v2/auth")
GOOGLE_OAUTH_TOKEN_URL = env.str("GOOGLE_OAUTH_TOKEN_URL", default="https://oauth2.googleapis.com/token")
GOOGLE_OAUTH_SCOPES = env.str("GOOGLE_OAUTH_SCOPES", default="https://www.googleapis.com/auth/adwords")
GOOGLE_OAUTH_REVOKE_URL = env.str("GOOGLE_OAUTH_REVOKE_URL", default="https://oauth2.googleapis.com/revoke")
# Seconds an OAuth sign-in (state + PKCE verifier in the session) stays valid.
PLATFORM_OAUTH_STATE_MAX_AGE_S = env.int("PLATFORM_OAUTH_STATE_MAX_AGE_S", default=600)
# Seconds each OAuth / account-listing HTTP call may take.
PLATFORM_HTTP_TIMEOUT_S = env.int("PLATFORM_HTTP_TIMEOUT_S", default=20)
# host:port of the Google Ads gRPC endpoint; GOOGLE_ADS_INSECURE_CHANNEL only for the local stand-in
GOOGLE_ADS_ENDPOINT = env.str("GOOGLE_ADS_ENDPOINT", default="googleads.googleapis.com:443")
GOOGLE_ADS_INSECURE_CHANNEL = env.bool("GOOGLE_ADS_INSECURE_CHANNEL", default=False)
GOOGLE_YOUTUBE_UPLOAD_URL = env.str("GOOGLE_YOUTUBE_UPLOAD_URL", default="https://googleads.googleapis.com/resumable/upload")
# Tokens expiring within this many seconds are refreshed before a call.
PLATFORM_TOKEN_REFRESH_MARGIN_S = env.int("PLATFORM_TOKEN_REFRESH_MARGIN_S", default=300)
# Facebook Page the Meta ads run as (object_story_spec.page_id); "" = the ad account's first
# promotable page (GET /act_<id>/promote_pages).
META_PAGE_ID = env.str("META_PAGE_ID", default="")
# Seconds each Graph API request (one video chunk included) may take.
META_HTTP_TIMEOUT_S = env.int("META_HTTP_TIMEOUT_S", default=120)
