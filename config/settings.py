"""Concord settings, read from the environment.

Nothing configured gives the embedded defaults (SQLite under var/, report tasks
run in-process). Every variable is listed in the README.
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}.") from None


def env_positive_int(name: str, default: int) -> int:
    value = env_int(name, default)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, got {value}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def email_settings(url: str) -> dict[str, object]:
    """Django's EMAIL_* settings from smtp://, smtp+tls:// or smtps://user:password@host:port."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    schemes = {
        "smtp": (False, False, 25),
        "smtp+tls": (True, False, 587),
        "smtps": (False, True, 465),
    }
    if parts.scheme not in schemes or not parts.hostname:
        raise ImproperlyConfigured(
            f"EMAIL_URL must be smtp://, smtp+tls:// or smtps://host[:port], got {parts.scheme}://…"
        )
    use_tls, use_ssl, port = schemes[parts.scheme]
    try:
        port = parts.port or port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number.") from None
    return {
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "django_tables2",
    "simple_history",
    "django_celery_beat",
    "axes",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "cooperation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cooperation.sessions.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cooperation.languages.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cooperation.csp.ConcordCSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "cooperation.access_log.PermissionRefusalLogMiddleware",
    # Last, so a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "cooperation.languages.switcher",
            ],
        },
    },
]

# Database: PostgreSQL through psycopg 3 when DATABASE_URL is set, else SQLite under var/.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {error}") from None
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Pages run many short queries; compiling one with LLVM costs more than it saves.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "var" / "concord.sqlite3")),
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("km", _("Khmer"))]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale-django"]
# Our date and number formats by language, read before Django's (config/formats/<lang>/).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Phnom_Penh")
USE_I18N = True
USE_TZ = env_bool("USE_TZ", True)

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# The cache: Redis from CACHE_URL (redis:// or rediss://), shared by every web process;
# local memory, one per process, when nothing is configured. Pages and fragments are cached
# for PAGE_CACHE_SECONDS (0: not at all), keyed by reader and data version (cooperation.cache).
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "cooperation.cache.FailSafeRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "concord",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// or rediss:// URL, got {CACHE_URL!r}.")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300)

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username is refused before its password is checked.
    "cooperation.access_log.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cooperation:dashboard"
LOGOUT_REDIRECT_URL = "cooperation:dashboard"

DJANGO_TABLES2_TEMPLATE = "includes/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

# Celery: with no broker configured, tasks run in-process (eagerly) so the
# embedded setup still produces reports.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 512_000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # concord.access writes one line per sign-in, failure, lockout, refusal and report request;
    # django-axes' own lines would repeat them.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Security. Production is DEBUG off behind an HTTPS proxy: the proxy terminates TLS and sets
# X-Forwarded-Proto and X-Forwarded-For; BEHIND_HTTPS_PROXY turns on everything that relies on it.
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY", False)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies append to X-Forwarded-For in front of Django; the client address is the
# entry that many places from the right (entries further left are whatever the client sent).
# Sign-in lockouts key on it: 0 behind a proxy makes every visitor the proxy, so one address's
# throttle refuses everyone; more than there are proxies lets a client name its own address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if BEHIND_HTTPS_PROXY else 0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", BEHIND_HTTPS_PROXY)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if BEHIND_HTTPS_PROXY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", BEHIND_HTTPS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Idle timeout: a session ends after this long unused. Requests push its expiry forward, saving
# the session at most once every SESSION_REFRESH_SECONDS (cooperation.sessions).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_REFRESH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content Security Policy: nothing inline, nothing from elsewhere (the dashboard runs offline).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sign-in throttling (django-axes, cooperation.lockouts). An office signs in from one address
# behind its gateway, so a username is locked only from the address it failed from: after
# LOGIN_FAILURE_LIMIT failures there, until LOGIN_COOLOFF_MINUTES after the last one, while
# colleagues behind the same gateway and the same person elsewhere still sign in. An address
# that fails for more than LOGIN_ADDRESS_USERNAME_LIMIT usernames, or LOGIN_ADDRESS_FAILURE_LIMIT
# times in all, within the cool-off is refused for every username until enough of its failures
# age out. Refused sign-ins are not counted, so the time the lockout page gives holds. The
# address is the one TRUSTED_PROXY_COUNT picks; administrators unlock in the admin.
AXES_FAILURE_LIMIT = env_positive_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_positive_int("LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_ADDRESS_USERNAME_LIMIT = env_positive_int("LOGIN_ADDRESS_USERNAME_LIMIT", 20)
LOGIN_ADDRESS_FAILURE_LIMIT = env_positive_int("LOGIN_ADDRESS_FAILURE_LIMIT", 50)
AXES_HANDLER = "cooperation.lockouts.SignInLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "cooperation.lockouts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "cooperation.access_log.client_ip"
AXES_USERNAME_CALLABLE = "cooperation.access_log.throttled_username"
AXES_VERBOSE = False

# Asking for reports, per user per hour (cooperation.ratelimit).
REPORT_REQUESTS_PER_HOUR = env_int("REPORT_REQUESTS_PER_HOUR", 10)
# The longest period one report may cover, in years.
REPORT_MAX_YEARS = env_int("REPORT_MAX_YEARS", 20)
# The languages the monthly schedule builds its reports in, as language codes.
REPORT_LANGUAGES = env_list("REPORT_LANGUAGES", "en,fr,km")
if unknown := set(REPORT_LANGUAGES) - {code for code, _name in LANGUAGES}:
    raise ImproperlyConfigured(
        f"REPORT_LANGUAGES: {', '.join(sorted(unknown))} is not one of en, fr, km."
    )
# A building report holds a lease its worker renews every REPORT_HEARTBEAT_SECONDS; another
# worker takes over a build whose lease has not been renewed for REPORT_LEASE_SECONDS.
REPORT_LEASE_SECONDS = env_int("REPORT_LEASE_SECONDS", 20)
REPORT_HEARTBEAT_SECONDS = env_int("REPORT_HEARTBEAT_SECONDS", 5)

# Commitment follow-up: "due soon" within COMMITMENT_DUE_SOON_DAYS of its target date, "stale"
# when open with no news for COMMITMENT_STALE_DAYS.
COMMITMENT_DUE_SOON_DAYS = env_positive_int("COMMITMENT_DUE_SOON_DAYS", 30)
COMMITMENT_STALE_DAYS = env_positive_int("COMMITMENT_STALE_DAYS", 90)

# Public complaint figures below PUBLIC_MIN_COUNT show to anonymous readers as "fewer than N",
# never as the number (the k of IOM's public trafficking data); totals that would give one
# away are held back (cooperation.small_counts).
PUBLIC_MIN_COUNT = env_positive_int("PUBLIC_MIN_COUNT", 11)

# Email: EMAIL_URL is smtp://user:password@host:port (smtp+tls:// for STARTTLS, smtps:// for
# TLS from the start); with nothing configured, emails are written to the console.
# SITE_URL is the address links in emails start with.
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    vars().update(email_settings(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Concord <concord@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Exports of the list pages (cooperation.exports). The CSV streams every row; an Excel workbook
# stops at EXPORT_XLSX_MAX_ROWS rows and says so. At most EXPORT_CONCURRENCY exports are prepared
# at once, counted in the cache (per web process with the default local-memory cache); past that,
# an export is answered 503 with Retry-After.
EXPORT_XLSX_MAX_ROWS = env_int("EXPORT_XLSX_MAX_ROWS", 50_000)
EXPORT_CONCURRENCY = env_int("EXPORT_CONCURRENCY", 2)

# Imports (cooperation.imports): a file over IMPORT_MAX_BYTES or with more than IMPORT_MAX_ROWS
# rows is refused before any row is written.
IMPORT_MAX_BYTES = env_positive_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_ROWS = env_positive_int("IMPORT_MAX_ROWS", 200_000)

# The API (cooperation.api). Callers sign in with a per-user token an administrator issues and
# revokes in the admin ("Authorization: Token <key>"), or with their page session; anonymous
# callers read public records. Requests per caller are throttled: API_ANON_RATE per address,
# API_USER_RATE per signed-in user, each "<number>/<second|minute|hour|day>".
API_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str, default: str) -> str:
    value = env_str(name, default).strip()
    if not API_RATE.match(value):
        raise ImproperlyConfigured(f"{name} must look like 60/minute, got {value!r}.")
    return value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Session first: a refused anonymous write is 403, like every page's refused post.
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["cooperation.api.access.ReadOrEditorCreate"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "cooperation.api.pagination.RecordCursor",
    "DEFAULT_THROTTLE_CLASSES": [
        "cooperation.api.access.AnonymousThrottle",
        "cooperation.api.access.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_ANON_RATE", "60/minute"),
        "user": env_rate("API_USER_RATE", "600/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "cooperation.api.errors.ConcordAutoSchema",
    "EXCEPTION_HANDLER": "cooperation.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # The client address per-address throttling counts, read as sign-in lockouts read it.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Concord API",
    "DESCRIPTION": (
        "Anti-trafficking cooperation records: partners, people, meetings, commitments, "
        "complaint counts, milestones and the sources they rest on. Anonymous callers read "
        "public records; a token shows what its user sees on the pages."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Anyone may read the schema and the docs; a post to them is refused like any other.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "VisibilityEnum": "cooperation.models.Visibility",
        "DatePrecisionEnum": "cooperation.models.DatePrecision",
        "CommitmentStatusEnum": "cooperation.models.CommitmentStatus",
        "CommitmentKindEnum": "cooperation.models.CommitmentKind",
        "InferenceEnum": "cooperation.models.Inference",
    },
}
