"""Settings, all read from the environment (see DESIGN.md for the names).

Defaults are safe for one machine: SQLite in the project folder, the database as the
task broker, DEBUG off, and no private network reachable by operations.
"""

import secrets
from pathlib import Path

import dj_database_url

from config.env import (
    env_bool,
    env_hostports,
    env_int,
    env_limits,
    env_list,
    env_networks,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))


def _default_secret_key() -> str:
    """A random key kept in var/ so sessions survive restarts without a shared default."""
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


SECRET_KEY = env_secret("SECRET_KEY") or _default_secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    # Before django_q: its qcluster command is replaced by the one in jobs.
    "jobs",
    "django_q",
]

MIDDLEWARE = [
    "jobs.api.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

OPERATION_TEMPLATE_DIRS = sorted(BASE_DIR.glob("jobs/operations/*/templates"))
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each operation package keeps its own result templates (one folder per operation).
        "DIRS": [BASE_DIR / "templates", *OPERATION_TEMPLATE_DIRS],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jobs.web.context.organization",
            ],
        },
    }
]

# --- database ---------------------------------------------------------------------

SQLITE_OPTIONS = {
    # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on busy_timeout instead of failing with "locked".
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
        "PRAGMA busy_timeout=20000;PRAGMA foreign_keys=ON;"
    ),
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BASE_DIR / "db.sqlite3"),
        "CONN_MAX_AGE": 600,
    }
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    _db.setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test-db.sqlite3")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- broker and cache -------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Operations end themselves at their own timeout (JOB_TIMEOUTS); the worker's hard
# timeout is a backstop above the longest one, and retry must stay above timeout.
JOB_HARD_TIMEOUT = env_int("JOB_HARD_TIMEOUT", 3900, minimum=10)
Q_CLUSTER = {
    # Workers only take tasks queued under the same name; separate installations (or
    # test runs) sharing one Redis keep apart by giving each its own.
    "name": env_str("Q_CLUSTER_NAME", "secops"),
    "workers": env_int("Q_WORKERS", 0, minimum=0) or None,
    "timeout": JOB_HARD_TIMEOUT,
    "retry": JOB_HARD_TIMEOUT + 120,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 500,
    "recycle": 200,
    "label": "Task queue",
}
if Q_CLUSTER["workers"] is None:
    del Q_CLUSTER["workers"]  # django-q2 then uses the number of CPUs
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "jobs.queue.SqlBroker"
    Q_CLUSTER["poll"] = 0.05

# --- the jobs app -----------------------------------------------------------------

ALLOWED_TARGET_NETWORKS = env_networks("ALLOWED_TARGET_NETWORKS")
DNS_NAMESERVERS = env_hostports("DNS_NAMESERVERS", 53)
WHOIS_SERVER = env_str("WHOIS_SERVER")  # host[:port]; empty means IANA referral
JOB_RETENTION_DAYS = env_int("JOB_RETENTION_DAYS", 7, minimum=1)
# A running job's heartbeat comes from its own thread; five missed beats and the job is
# lost. Each worker cluster reaps every JOB_REAP_SECONDS (and at once when a worker
# process on its own host dies), so a lost job runs again within about 20 s.
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 3, minimum=1)
JOB_LOST_AFTER_SECONDS = env_int("JOB_LOST_AFTER_SECONDS", 15, minimum=2)
JOB_REAP_SECONDS = env_int("JOB_REAP_SECONDS", 2, minimum=1)
# A stopping worker gives its running job this long to reach a progress step, where it
# is handed back to the queue; the job is handed back anyway when the grace is over.
JOB_STOP_GRACE_SECONDS = env_int("JOB_STOP_GRACE_SECONDS", 10, minimum=1)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 2, minimum=1)
# With Redis as the broker, a job still PENDING this long is queued again (its claim
# makes a duplicate harmless); with the database broker job and queue row are one commit.
JOB_PENDING_RESEND_SECONDS = env_int("JOB_PENDING_RESEND_SECONDS", 900, minimum=10)
# Per-type overrides of each operation's own timeout, "type=seconds,...".
JOB_TIMEOUTS = {k: v[0] for k, v in env_limits("JOB_TIMEOUTS", "").items()}
# Extra operation types, {type: "dotted.module"}; the tests register slow and failing ones.
JOB_OPERATIONS_EXTRA: dict[str, str] = {}
# Requests per window for each API key and category.
RATE_LIMITS = env_limits(
    "RATE_LIMITS", "reads=1200/60,scans=60/60,bulk=10/60,screenshots=30/60,other=120/60"
)
SCREENSHOT_DIR = Path(env_str("SCREENSHOT_DIR", str(VAR_DIR / "screenshots")))
CHROMIUM_PATH = env_str("CHROMIUM_PATH", "/usr/bin/chromium")

# Large enough for 10,000 indicators; bigger bodies get 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024)

# --- web --------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static",
                    *sorted(BASE_DIR.glob("jobs/operations/*/static"))]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-q2 logs every enqueue and every task at INFO: too much for a busy queue.
        "django-q": {"level": env_str("QUEUE_LOG_LEVEL", "WARNING")},
    },
}
