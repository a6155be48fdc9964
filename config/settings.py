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
    env_url,
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


# Web processes on several machines must share one key (sessions, CSRF, signed links):
# a key generated here is flagged by a system check once the database is shared.
SECRET_KEY_GENERATED = not env_secret("SECRET_KEY")
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
    "axes",
    # Before django_q: its qcluster command is replaced by the one in jobs.
    "jobs",
    "django_q",
]

# The config.middleware classes are the packages' own, stepped over by /v1 requests
# (API-key authenticated JSON: no sessions, cookies, users, messages or page policies).
MIDDLEWARE = [
    "jobs.api.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.WhiteNoiseMiddleware",
    "config.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.AuthenticationMiddleware",
    "config.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.HtmxMiddleware",
    "config.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its own answer.
    "axes.middleware.AxesMiddleware",
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
# Persistent connections for the workers and the web server's threads. Under the ASGI web
# server (config/asgi.py) a waiting request (an event stream, a long-poll) runs in a
# thread of its own: without the pool below it sets 0, or such threads would keep their
# connections and hundreds of clients exhaust PostgreSQL's max_connections.
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 600, minimum=0)
# PostgreSQL only: a pool of up to this many connections per process (psycopg_pool),
# shared by its threads. The ASGI web server turns it on (config/asgi.py): without it,
# every waiting request opens a connection, and PostgreSQL starts a backend for each.
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 0, minimum=0)
# PostgreSQL only: let the hottest statements (a submit's) be prepared on each connection.
# Off behind a pooler in transaction mode that does not keep prepared statements.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
# Threads per web process for requests that answer at once (config/asgi.py).
WEB_THREADS = env_int("WEB_THREADS", 8, minimum=1)
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE,
                                conn_health_checks=True)
    if _db["ENGINE"] == "django.db.backends.postgresql" and DB_PREPARED_STATEMENTS:
        # Only the hot statements that ask for it (``jobs.records.bound_cursor``) are
        # prepared, on their 5th run on a connection; Django's own cursors never prepare.
        _db.setdefault("OPTIONS", {})["prepare_threshold"] = 5
    if DB_POOL_SIZE and _db["ENGINE"] == "django.db.backends.postgresql":
        # A pooled connection goes back to the pool when a request ends, instead of
        # being kept by its thread: Django requires CONN_MAX_AGE 0 with a pool.
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DB_POOL_SIZE), "max_size": DB_POOL_SIZE,
            # Past this wait the request fails as a database outage: 503 + Retry-After.
            "timeout": 10}
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BASE_DIR / "db.sqlite3"),
        "CONN_MAX_AGE": DB_CONN_MAX_AGE,
    }
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    _db.setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test-db.sqlite3")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- broker and cache -------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
# The cache holds what is worked out once and never changes, such as the result
# summaries of ended jobs in the dashboard's lists (jobs.web.present.with_summaries).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # One machine: files every process of it shares (django-q2 keeps its cluster
    # stats here, which the queue-health page and /healthz read).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "jobs_cache"}}

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
    Q_CLUSTER["broker_class"] = "jobs.queue.RedisBroker"
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "jobs.queue.SqlBroker"
    Q_CLUSTER["poll"] = 0.05
    # Entries the pusher takes at once (jobs.queue.SqlBroker.dequeue, one statement);
    # the workers' task queue holds workers² of them at most either way.
    Q_CLUSTER["bulk"] = 4

# --- the jobs app -----------------------------------------------------------------

ALLOWED_TARGET_NETWORKS = env_networks("ALLOWED_TARGET_NETWORKS")
DNS_NAMESERVERS = env_hostports("DNS_NAMESERVERS", 53)
WHOIS_SERVER = env_str("WHOIS_SERVER")  # host[:port]; empty means IANA referral
# RDAP: one base URL asked about every domain, or else IANA's bootstrap file (dns.json,
# RFC 9224) saved locally; with neither, operations say RDAP is not configured.
RDAP_SERVER = env_url("RDAP_SERVER")
RDAP_BOOTSTRAP_FILE = env_str("RDAP_BOOTSTRAP_FILE")
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
# How long a port scan waits for one open port's banner (milliseconds).
PORT_BANNER_TIMEOUT_MS = env_int("PORT_BANNER_TIMEOUT_MS", 2000, minimum=100)
# At most one progress step every this many seconds goes into a job's timeline.
TIMELINE_PROGRESS_SECONDS = env_int("TIMELINE_PROGRESS_SECONDS", 5, minimum=1)
JOB_TIMEOUTS = {k: v[0] for k, v in env_limits("JOB_TIMEOUTS", "").items()}
# Extra operation types, {type: "dotted.module"}; the tests register slow and failing ones.
JOB_OPERATIONS_EXTRA: dict[str, str] = {}
# Requests per window for each API key and category.
RATE_LIMITS = env_limits(
    "RATE_LIMITS", "reads=1200/60,scans=60/60,bulk=10/60,screenshots=30/60,other=120/60"
)
# Being told instead of polling: webhook tries, long-poll and event-stream bounds.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
PUSH_MAX_WAITERS = env_int("PUSH_MAX_WAITERS", 200, minimum=1)  # long-polls per web process
PUSH_MAX_STREAMS = env_int("PUSH_MAX_STREAMS", 5000, minimum=1)  # event streams per process
# Infrastructure maps: node budget per job, most new nodes one node may add per kind of
# link, the degree above which an address or server is drawn as a hub and not walked,
# names expanded at once, and the TLS port read for certificates.
MAP_MAX_NODES = env_int("MAP_MAX_NODES", 1000, minimum=1)
MAP_MAX_FANOUT = env_int("MAP_MAX_FANOUT", 100, minimum=1)
MAP_HUB_DEGREE = env_int("MAP_HUB_DEGREE", 50, minimum=1)
MAP_CONCURRENCY = env_int("MAP_CONCURRENCY", 50, minimum=1)
MAP_TLS_PORT = env_int("MAP_TLS_PORT", 443, minimum=1)
# Offline network data (all optional). GEOIP_DIR: a folder of MaxMind / DB-IP .mmdb files
# (ASN, country) used by maps and enrichment instead of the data shipped in packages;
# RPKI_VRP_PATH / RPKI_VRP_URL: a VRP set (rpki-client or Routinator JSON);
# REPUTATION_LISTS: "name=path-or-url,..." block lists to match against.
GEOIP_DIR = env_str("GEOIP_DIR")
IPDATA_CACHE_DIR = Path(env_str("IPDATA_CACHE_DIR", str(VAR_DIR / "ipdata")))
RPKI_VRP_PATH = env_str("RPKI_VRP_PATH")
RPKI_VRP_URL = env_str("RPKI_VRP_URL")
REPUTATION_LISTS = env_list("REPUTATION_LISTS")
CHROMIUM_PATH = env_str("CHROMIUM_PATH", "/usr/bin/chromium")
# Website captures: pages open at once per worker process, limits on what one page may do.
SCREENSHOT_CONCURRENCY = env_int("SCREENSHOT_CONCURRENCY", 2, minimum=1)
SCREENSHOT_PAGE_TIMEOUT = env_int("SCREENSHOT_PAGE_TIMEOUT", 30, minimum=1)  # seconds
SCREENSHOT_MAX_HEIGHT = env_int("SCREENSHOT_MAX_HEIGHT", 16384, minimum=240)  # full-page cap
SCREENSHOT_MAX_TRANSFER_BYTES = env_int("SCREENSHOT_MAX_TRANSFER_BYTES", 50 * 1024 * 1024,
                                        minimum=1024)
# pHash distance (0-64) above which a scheduled capture counts as "changed".
SCREENSHOT_CHANGE_THRESHOLD = env_int("SCREENSHOT_CHANGE_THRESHOLD", 8, minimum=0)
SCREENSHOT_SIMILAR_LIMIT = env_int("SCREENSHOT_SIMILAR_LIMIT", 5, minimum=0)
SCREENSHOT_MAX_SCHEDULES = env_int("SCREENSHOT_MAX_SCHEDULES", 25, minimum=0)
SCREENSHOT_MAX_PER_SCHEDULE = env_int("SCREENSHOT_MAX_PER_SCHEDULE", 1000, minimum=1)
# Absolute links in results (e.g. https://scan.example.org); empty gives site-relative ones.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL").rstrip("/")

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
# Behind TLS (the README's "past one machine" recipe) these are all turned on.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):  # a TLS-terminating proxy in front
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content Security Policy on every page: scripts only from our own static files (no
# inline script anywhere); inline style attributes stay allowed for progress widths.
CONTENT_SECURITY_POLICY = {
    # The JSON API serves no documents to a browser: no policy to compute there.
    "EXCLUDE_URL_PREFIXES": ["/v1/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Guessing passwords at the sign-in page: after SIGNIN_FAILURE_LIMIT failures for one
# user name from one address, that pair waits SIGNIN_COOLOFF_MINUTES (django-axes).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend",
                           "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SIGNIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static",
                    *sorted(BASE_DIR.glob("jobs/operations/*/static"))]
# Job artifacts (screenshots): local files by default; ARTIFACT_STORAGE=s3 puts them in any
# S3-compatible store so web and worker processes on different machines share them (needs
# ``pip install django-storages[s3]``).
if env_str("ARTIFACT_STORAGE", "filesystem") == "s3":
    ARTIFACT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": env_str("S3_BUCKET"), "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
        "access_key": env_secret("S3_ACCESS_KEY_ID"),
        "secret_key": env_secret("S3_SECRET_ACCESS_KEY"),
        "region_name": env_str("S3_REGION") or None, "location": env_str("S3_PREFIX"),
        "default_acl": None, "querystring_auth": False, "file_overwrite": False}}
else:
    ARTIFACT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": str(VAR_DIR / "artifacts")}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "artifacts": ARTIFACT_STORAGE,
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
