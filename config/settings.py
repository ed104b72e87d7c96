"""Settings: everything comes from environment variables, with embedded defaults
(a SQLite file, eager Celery) so that a bare machine runs the app."""

import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    # A typo must not quietly turn a safety setting off (`SECURE_COOKIES=enabled`).
    raise ImproperlyConfigured(f"{name}={value!r}: use one of {sorted(_TRUE)} or {sorted(_FALSE)}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: give a whole number") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "health_check",
    "simple_history",
    "csp",
    "core",
    "residents",
    "supplies",
    "volunteers",
    "deliveries",
    "medical",
]

MIDDLEWARE = [
    # Pages go out compressed too (static files are compressed ahead by collectstatic). The
    # CSRF token is masked anew on each response, so compression does not leak it (BREACH).
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Field history (core.history) records the request's user as who made each edit.
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.AdminInlineStyles",  # inside CSPMiddleware: it marks the response first
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.LoggedOutPost",  # inside MessageMiddleware: it leaves a message
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ADMIN_URL_PREFIX = "admin/"
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env_str("DATABASE_CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Throttle counts and other short-lived values: in the process on a bare machine, in Redis
# (CACHE_URL=redis://…) where several server processes must share them.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("CACHE_URL")}
        if env_str("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Logins: after AXES_FAILURE_LIMIT wrong passwords for one user name from one address, that
# login is refused (even with the right password) for AXES_COOLOFF_MINUTES, on every login route:
# the web login, the admin and the API token. Staff unlock early with `axes_reset_username`.
# Content-Security-Policy on every response (django-csp): scripts, styles and everything else
# from this site only, no inline script; QR codes are data: images; nothing may frame a page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The field history is shown in the admin and never edited or reverted there.
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = False

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.auth.lockout_response"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic writes each file under a name with its hash, gzip and brotli copies beside it
# (WhiteNoise serves them for a year: a new deploy has new names); `make run` and `make serve`
# collect first. The tests use the plain storage (tests/conftest.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API reads JSON only, so that a value means what the schema says: a form's "" or
    # "0" is never read as null or false (an HTML form posts to the pages, not to the API).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["core.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    # Anonymous callers and the token endpoint are throttled per address (through CACHES).
    "DEFAULT_THROTTLE_CLASSES": ["core.throttles.AnonThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "120/minute"),
        "login": env_str("API_LOGIN_RATE", "20/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Last Hundred Metres API",
    "DESCRIPTION": "Register, supplies, deliveries, volunteers and medical errands for "
    "neighbourhood committees running compounds under lockdown.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's JavaScript is served from our static files, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ClosureLevelEnum": "residents.models.ClosureLevel",
        "RoundKindEnum": "supplies.models.RoundKind",
        "RoundStatusEnum": "supplies.models.RoundStatus",
        "OrderStatusEnum": "supplies.models.OrderStatus",
        "PaymentStatusEnum": "supplies.models.PaymentStatus",
        "DeliveryKindEnum": "deliveries.models.DeliveryKind",
        "DeliveryFailureEnum": "deliveries.models.DeliveryFailure",
        "TestKindEnum": "volunteers.models.TestKind",
        "HolderEnum": "medical.models.Holder",
        "TransportKindEnum": "medical.models.TransportKind",
        "CheckInKindEnum": "medical.models.CheckInKind",
        "WorkgroupEnum": "volunteers.models.Workgroup",
        "AffiliationEnum": "volunteers.models.Affiliation",
        "VolunteerStatusEnum": "volunteers.models.VolunteerStatus",
    },
}

# Celery: with no broker, tasks run eagerly in-process so that a bare machine works.
# Notices: SMS through this class (a gateway's in production), email through EMAIL_BACKEND.
NOTICE_SMS_BACKEND = env_str("NOTICE_SMS_BACKEND", "core.notifications.ConsoleSmsBackend")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@last-hundred-metres.invalid")

# The largest register file an import accepts (40,000 residents in XLSX are about 2 MB).
IMPORT_MAX_MEGABYTES = env_int("IMPORT_MAX_MEGABYTES", 10)
# An import refused for bad rows lists this many of them, then says how many more.
IMPORT_ERRORS_SHOWN = 200

# Orders saved per transaction when a round is planned.
DELIVERIES_PLAN_CHUNK = int(env_str("DELIVERIES_PLAN_CHUNK", "500"))

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# A request that hands a job to an unreachable broker gives up in a moment, not after 6 s of
# retries: the job waits, marked paused, and beat sends it later (core.jobs).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task runs for ever: this holds for a task that sets no limit of its own.
CELERY_TASK_TIME_LIMIT = 660
CELERY_BEAT_SCHEDULE = {
    "close-due-rounds": {"task": "supplies.tasks.close_due_rounds", "schedule": 60.0},
    "send-pending-notices": {"task": "core.tasks.send_pending_notices", "schedule": 120.0},
    # /health/ reads when this last ran: beat and a worker are both alive.
    "beat-heartbeat": {"task": "core.tasks.beat_heartbeat", "schedule": 30.0},
    # Jobs asked for while Redis was down are sent once it is back.
    "dispatch-waiting-jobs": {"task": "core.tasks.dispatch_waiting_jobs", "schedule": 60.0},
    # 05:30 Asia/Shanghai (CELERY_TIMEZONE), before the kitchens cook lunch.
    "create-daily-meals": {
        "task": "deliveries.tasks.create_daily_meals",
        "schedule": crontab(hour=5, minute=30),
    },
    # 21:00, when the points have closed: households whose packs nobody collected are told.
    "notify-uncollected-pickups": {
        "task": "deliveries.tasks.notify_uncollected_pickups",
        "schedule": crontab(hour=21, minute=0),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Production behind TLS (README, "Settings"): `manage.py check --deploy` is clean with
# SECURE_COOKIES=1, SECURE_SSL_REDIRECT=1, SECURE_HSTS_SECONDS=31536000 (with
# SECURE_HSTS_INCLUDE_SUBDOMAINS=1 and SECURE_HSTS_PRELOAD=1 once every subdomain is on TLS) and,
# behind a proxy that terminates TLS and sets X-Forwarded-Proto, BEHIND_PROXY=1.
if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
if env_bool("BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    # The lockout counts the caller's address, not the proxy's.
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
