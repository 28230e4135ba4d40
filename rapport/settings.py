"""Rapport settings: every value comes from the environment, with safe defaults for one team."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


class ConfigurationError(RuntimeError):
    """An environment variable holds a value Rapport cannot use."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be a boolean (1/0, true/false, yes/no), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DATA_DIR = Path(env_str("RAPPORT_DATA_DIR", str(Path.cwd() / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use SECRET_KEY, or a key generated once and kept in the data directory."""
    configured = os.environ.get("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("RAPPORT_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "ninja",
    "huey.contrib.djhuey",
    "rapport.core",
    "rapport.users",
    "rapport.accounts",
    "rapport.stakeholders",
    "rapport.communications",
    "rapport.roadmaps",
    "rapport.revenue",
    "rapport.workspace",
    "rapport.accountmaps",
    "rapport.interchange",
    "rapport.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "rapport.core.middleware.SessionLifetimeMiddleware",
    "rapport.core.middleware.UserLanguageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "rapport.urls"
WSGI_APPLICATION = "rapport.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rapport.communications.context_processors.today_counts",
            ],
        },
    }
]

# Database: SQLite in the data directory unless DATABASE_URL names another.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Rapport's wide reporting queries (one conditional sum per month and account) spend
        # more time in PostgreSQL's just-in-time compiler than they save; the rest gains nothing.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "rapport.sqlite3"),
            "OPTIONS": {
                # WAL lets readers work while one writer writes; IMMEDIATE avoids
                # "database is locked" when two transactions upgrade to writing at once.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CACHES["progress"] = CACHES["default"]
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Progress of background work, written by the worker and read by the web process.
        "progress": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "progress"),
        },
    }

# E-mail: printed to the console unless EMAIL_URL names a server (smtp://, submission://).
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    _email = dj_email_url.parse(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or str(DATA_DIR / "mail")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Rapport <rapport@localhost>")

# Background work (Huey): a SQLite queue in the data directory, or Redis when REDIS_URL is set
# so that workers on many machines share it. `rapport worker` runs the consumer and the
# periodic jobs (daily digests, nightly refreshes). RAPPORT_TASKS_IMMEDIATE runs tasks inline.
HUEY: dict[str, object] = {
    "name": "rapport",
    "immediate": env_bool("RAPPORT_TASKS_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "tasks.sqlite3")}

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# Sign-in (django-allauth): e-mail and password; accounts are created by administrators.
ACCOUNT_ADAPTER = "rapport.users.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]

# Sessions end after an idle period and, whatever the activity, after an absolute lifetime.
SESSION_IDLE_SECONDS = 8 * 60 * 60
SESSION_ABSOLUTE_SECONDS = 7 * 24 * 60 * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve straight from the apps' static folders, so a fresh install needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Browsers run no script or style that the app does not serve itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    # Production: HTTPS only, cookies bound to the host (the __Host- prefix forbids a Domain).
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-rapport_session"
    CSRF_COOKIE_NAME = "__Host-rapport_csrf"
    SECURE_SSL_REDIRECT = env_bool("RAPPORT_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Rapport's own settings.
RAPPORT_PAGE_SIZE = 25
# The address people reach Rapport at, for links in e-mails and calendar feeds.
RAPPORT_BASE_URL = env_str("RAPPORT_BASE_URL", "http://localhost:8000")
RAPPORT_API_MAX_PAGE_SIZE = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("RAPPORT_LOG_LEVEL", "WARNING")},
}

# Communications: when an account counts as untouched, when a decision maker counts as
# disengaged, the largest e-mail or calendar upload read, and the hour of the daily digest.
RAPPORT_UNTOUCHED_DAYS = env_int("RAPPORT_UNTOUCHED_DAYS", 45)
RAPPORT_DISENGAGED_DAYS = env_int("RAPPORT_DISENGAGED_DAYS", 90)
RAPPORT_UPLOAD_MAX_BYTES = env_int("RAPPORT_UPLOAD_MAX_BYTES", 25 * 1024 * 1024)
RAPPORT_DIGEST_HOUR = env_int("RAPPORT_DIGEST_HOUR", 7)

# Imports: where uploads are unpacked (one folder per run), the largest Salesforce export or
# spreadsheet accepted, and the most a .zip may unpack to (a guard against zip bombs).
RAPPORT_IMPORT_DIR = DATA_DIR / "imports"
RAPPORT_IMPORT_MAX_BYTES = env_int("RAPPORT_IMPORT_MAX_BYTES", 2 * 1024**3)
RAPPORT_IMPORT_MAX_UNPACKED_BYTES = env_int("RAPPORT_IMPORT_MAX_UNPACKED_BYTES", 20 * 1024**3)

# Roadmaps and handoffs: the stakeholders with a decision role the account map must hold before
# a handoff can be submitted, and how long a client link stays open by default.
RAPPORT_HANDOFF_MIN_DECISION_MAKERS = env_int("RAPPORT_HANDOFF_MIN_DECISION_MAKERS", 2)
RAPPORT_CLIENT_LINK_DAYS = env_int("RAPPORT_CLIENT_LINK_DAYS", 90)

# Revenue: the company currency every figure is reported in, how long before a contract ends its
# renewal opportunity is opened, and how long before a tacit renewal's notice date the account
# manager is reminded.
RAPPORT_CURRENCY = env_str("RAPPORT_CURRENCY", "EUR").strip().upper()
if not re.fullmatch(r"[A-Z]{3}", RAPPORT_CURRENCY):
    raise ConfigurationError(
        f"RAPPORT_CURRENCY must be a three-letter ISO code such as EUR, not {RAPPORT_CURRENCY!r}"
    )
RAPPORT_RENEWAL_LEAD_DAYS = env_int("RAPPORT_RENEWAL_LEAD_DAYS", 120)
RAPPORT_NOTICE_REMINDER_DAYS = env_int("RAPPORT_NOTICE_REMINDER_DAYS", 30)
if RAPPORT_RENEWAL_LEAD_DAYS < 0 or RAPPORT_NOTICE_REMINDER_DAYS < 0:
    raise ConfigurationError(
        "RAPPORT_RENEWAL_LEAD_DAYS and RAPPORT_NOTICE_REMINDER_DAYS cannot be negative"
    )
