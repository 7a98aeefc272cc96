"""Django settings for Sinergi.

Everything comes from the environment, with defaults that run the embedded demo on
SQLite. `SINERGI_ENV=production` switches on the hardened settings that
`manage.py check --deploy` expects, and then SECRET_KEY must be set.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from sinergi.env import (
    code_fingerprint,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    local_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("SINERGI_DATA_DIR", str(BASE_DIR / "var")))

SINERGI_ENV = env_str("SINERGI_ENV", "demo")
PRODUCTION = SINERGI_ENV == "production"

DEBUG = env_bool("DEBUG", default=False)
if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    if not SECRET_KEY:
        raise RuntimeError("SECRET_KEY must be set when SINERGI_ENV=production")
else:
    SECRET_KEY = env_str("SECRET_KEY") or local_secret_key(DATA_DIR)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# A form sent with an out-of-date token: said so, in the site's layout and language.
CSRF_FAILURE_VIEW = "sinergi.core.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "axes",
    "sinergi.core",
    "sinergi.partners",
    "sinergi.partnerships",
    "sinergi.access",
    "sinergi.ledger",
    "sinergi.finance",
    "sinergi.results",
    "chartjs",
    "ninja",  # its API docs page then uses its bundled Swagger UI, not a CDN
]

MIDDLEWARE = [
    "sinergi.core.middleware.HeadAsGetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "sinergi.core.middleware.ContentSecurityPolicyMiddleware",
    # Outermost but two: work a view defers runs after the response has been sent.
    "sinergi.core.after_response.AfterResponseMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After LocaleMiddleware, so that the 400 page speaks the language of the address.
    "sinergi.core.middleware.RefuseNullCharactersMiddleware",
    "sinergi.core.middleware.RefuseOversizedBodiesMiddleware",
    # Before the CSRF check, which would read a non-UTF-8 form and fail twice.
    "sinergi.core.middleware.RefuseForeignCharsetsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "sinergi.core.middleware.ErrorBodyMiddleware",
    "sinergi.core.middleware.DatabaseBusyMiddleware",
    # A partnership's page under its short name in another letter case: 301 to it.
    "sinergi.access.middleware.PartnershipElsewhereMiddleware",
]

ROOT_URLCONF = "sinergi.urls"
WSGI_APPLICATION = "sinergi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sinergi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _databases() -> dict:
    url = env_str("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
        if config["ENGINE"] == "django.db.backends.postgresql":
            # Django's, with a health check skipped for a connection in steady use.
            config["ENGINE"] = "sinergi.core.postgresql"
        return {"default": config}
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # synchronous=FULL: every commit is on disk (the WAL fsynced) before it is answered.
    # With NORMAL a power cut can take back the last commits, ledger entries among them,
    # after a checkpoint over them was published and witnessed: the log would then grow
    # again from a smaller size, a fork in every witness's eyes, and an acknowledged
    # transaction would be gone. It costs about 0.2 ms a write (p99 0.5 ms, measured).
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SINERGI_SQLITE_PATH", str(DATA_DIR / "sinergi.sqlite3")),
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA cache_size=-20000;"
                ),
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "partners.Person"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "sinergi.access.passwords.VariedPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the signed-in person with one raw query.
    "sinergi.access.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Repeated failed sign-ins lock the username from that address for a while.
AXES_FAILURE_LIMIT = env_int("SINERGI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# What was typed as the username, cut to the length axes stores (sinergi/access/backends.py).
AXES_USERNAME_CALLABLE = "sinergi.access.backends.axes_username"
# Behind N proxies that append to X-Forwarded-For, the client's address is the Nth from the
# right; 0: REMOTE_ADDR (a header a client can write is not trusted).
SINERGI_TRUSTED_PROXIES = env_int("SINERGI_TRUSTED_PROXIES", 0)
AXES_CLIENT_IP_CALLABLE = "sinergi.access.backends.client_ip"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Indonesian"))]
LOCALE_PATHS = [BASE_DIR / "sinergi" / "locale"]
FORMAT_MODULE_PATH = ["sinergi.formats"]  # one date style on every page, in both languages
TIME_ZONE = env_str("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# Request bodies: JSON API calls and forms are small; uploads get their own limits (50 MB
# at most, for spreadsheet imports), and no request body may exceed SINERGI_MAX_UPLOAD_BYTES
# (refused with 413 before it is read: sinergi.core.middleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SINERGI_MAX_REQUEST_BYTES", 1024 * 1024)
SINERGI_MAX_UPLOAD_BYTES = env_int("SINERGI_MAX_UPLOAD_BYTES", 52 * 1024 * 1024)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Sinergi <noreply@sinergi.localhost>")
# Seconds a mail server may take to answer (connecting, then each reply) before the send
# fails: mail is sent from the server's few threads, and a silent server must not hold
# them (Django's default is to wait for ever).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

_PAGES_KEY_PREFIX = hashlib.sha256(
    repr(
        sorted(
            (k, str(v))
            for k, v in DATABASES["default"].items()
            if k in ("ENGINE", "NAME", "HOST", "PORT")
        )
    ).encode()
).hexdigest()[:12] + code_fingerprint(BASE_DIR / "sinergi")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Computed pages, keyed by a version read from the database on every request, so
    # never stale; shared by the server's processes (sinergi/core/stored.py).
    "pages": {
        "BACKEND": "sinergi.core.stored.PageCache",
        "LOCATION": env_str("SINERGI_PAGES_DIR", str(DATA_DIR / "pages")),
        "TIMEOUT": 2 * 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 50_000, "CULL_FREQUENCY": 4},
        # The database's address and the code: two databases served from one data
        # directory never share a page, nor do two releases.
        "KEY_PREFIX": _PAGES_KEY_PREFIX,
    },
}

# The raw queries every request runs are prepared on PostgreSQL (sinergi/core/sql.py);
# off for a transaction-mode pooler that cannot follow prepared statements.
SINERGI_PREPARED_STATEMENTS = env_bool("SINERGI_PREPARED_STATEMENTS", default=True)

# Django's database sessions, read with one raw query (sinergi/access/sessions.py).
SESSION_ENGINE = "sinergi.access.sessions"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS: list[str] = []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50

# Transparency ledger: the checkpoint origin line and the signing key's file (kept
# outside the database, created on first use).
SINERGI_LEDGER_ORIGIN = env_str("SINERGI_LEDGER_ORIGIN", "sinergi.localhost/ledger")
# The address people open Sinergi at, for links in e-mails sent outside a request (the
# results reminders); empty: http://127.0.0.1:8000.
SITE_URL = env_str("SINERGI_SITE_URL")
SINERGI_LEDGER_KEY = env_str("SINERGI_LEDGER_KEY", str(DATA_DIR / "ledger.key"))
# Seconds between two checkpoints signed after appends or on a reader's request: under
# load, at most one a second whatever the number of processes (the test suite uses 0).
SINERGI_LEDGER_CHECKPOINT_INTERVAL = env_float("SINERGI_LEDGER_CHECKPOINT_INTERVAL", 1.0)
