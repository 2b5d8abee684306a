"""Settings for supportdesk, read from the environment with safe defaults (see README)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from supportdesk.attachment_storage import attachment_storage
from supportdesk.env import (
    cache_config,
    check_secret_key,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_str,
    secret_key,
    tasks_backend,
)
from supportdesk.observability.logs import logging_config

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(env_str("SUPPORTDESK_VAR_DIR", str(PROJECT_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key(VAR_DIR)
check_secret_key(SECRET_KEY, debug=DEBUG)  # a weak key stops startup unless DEBUG
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "supportdesk.people",
    "supportdesk.records",
    "supportdesk.catalog",
    "supportdesk.cases",
    "supportdesk.notify",
    "supportdesk.lists",
    "supportdesk.search",
    "supportdesk.sla",
    "supportdesk.reports",
    "supportdesk.api",
    "supportdesk.webhooks",
]

MIDDLEWARE = [
    "supportdesk.observability.middleware.ObservabilityMiddleware",  # first: times everything
    "django.middleware.security.SecurityMiddleware",
    "supportdesk.cases.uploads.UploadLimitMiddleware",  # before anything reads a body
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a refused login into the lockout page
]

ROOT_URLCONF = "supportdesk.urls"
WSGI_APPLICATION = "supportdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "supportdesk.notify.context_processors.unread_notifications",
                "supportdesk.cases.priority_views.lead_nav",
            ],
        },
    },
]

_SQLITE_DEFAULT = f"sqlite:///{VAR_DIR / 'supportdesk.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _SQLITE_DEFAULT) or _SQLITE_DEFAULT,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "supportdesk.sqlite_backend"  # keeps triggers on migrate
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN,
        # so concurrent writers queue on busy_timeout instead of failing with "database locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # PostgreSQL's JIT compiles every plan it guesses expensive, which costs 50 ms and more on
    # reports that run in less; a help desk's short queries never gain from it.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rendered fragments (feed items) are cached under keys derived from their content, so they
# are never stale, in one process's memory (the default) or shared (CACHE_URL=redis://…).
CACHES = {
    "default": cache_config(env_str("CACHE_URL"), max_entries=env_int("CACHE_MAX_ENTRIES", 20_000))
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:home"
LOGOUT_REDIRECT_URL = "login"
# Sessions are read from the cache and written through to the database: most requests
# (every page a logged-in user opens) cost no session query. A cache that is one process's
# memory (the default) simply misses on the other processes and reads the database once.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused (429, registration/locked_out.html) for
# LOGIN_LOCKOUT_MINUTES, even with the right password. API tokens never pass through it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before any check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "supportdesk.people.login_guard.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_VERBOSE = False  # no start-up banner on every command (it lands in CLI output)

# Browser hardening. Scripts and styles come only from our own static files: no inline code,
# no event-handler attributes, no eval (htmx runs with allowEval off, see base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: pages carry the token (forms, and hx-headers for htmx).
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
STORAGES = {
    # Attachments: files under MEDIA_ROOT, or private objects in an S3-compatible bucket when
    # ATTACHMENTS_S3_BUCKET is set (supportdesk/attachment_storage.py); served only by the app.
    "default": attachment_storage(
        bucket=env_str("ATTACHMENTS_S3_BUCKET").strip(),
        endpoint_url=env_str("ATTACHMENTS_S3_ENDPOINT_URL").strip(),
        region=env_str("ATTACHMENTS_S3_REGION").strip(),
        prefix=env_str("ATTACHMENTS_S3_PREFIX").strip(),
        access_key=env_str("AWS_ACCESS_KEY_ID"),
        secret_key=env_str("AWS_SECRET_ACCESS_KEY"),
        acl=env_str("ATTACHMENTS_S3_ACL", "private").strip(),
        addressing_style=env_str("ATTACHMENTS_S3_ADDRESSING_STYLE"),
    ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        # Hashed names once `collectstatic` has written its manifest; plain names before.
        if env_bool("STATIC_MANIFEST", (STATIC_ROOT / "staticfiles.json").exists())
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "supportdesk <supportdesk@localhost>")
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10)  # seconds; a hung SMTP server fails the attempt
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # the file backend's folder

# Background work (django-tasks). The database backend is the outbox: a task row is written in
# the transaction of the change that causes it and run by `supportdesk worker` after commit.
TASKS = {
    "default": {
        "BACKEND": tasks_backend(env_str("TASKS_BACKEND", "database")),
        "QUEUES": ["default", "email", "webhooks"],
    }
}
# Email notifications: retries with exponential backoff and jitter, then a recorded failure.
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 10)
NOTIFY_RETRY_BASE_SECONDS = env_float("NOTIFY_RETRY_BASE_SECONDS", 30)
NOTIFY_RETRY_MAX_SECONDS = env_float("NOTIFY_RETRY_MAX_SECONDS", 3600)
# A send that started this long ago and never finished belongs to a dead worker: sent again.
NOTIFY_SEND_LEASE_SECONDS = env_float("NOTIFY_SEND_LEASE_SECONDS", 300)
# Webhooks (supportdesk.webhooks): a POST's timeout, the waits between attempts, how many
# attempts, and whether endpoints may be on private or loopback addresses (off: SSRF).
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_RETRY_DELAYS_SECONDS = [60, 300, 1800, 7200, 21600]
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
# How often the periodic jobs run (self-rescheduling tasks, no cron).
NOTIFY_SWEEP_SECONDS = env_float("NOTIFY_SWEEP_SECONDS", 60)
NOTIFY_DIGEST_CHECK_SECONDS = env_float("NOTIFY_DIGEST_CHECK_SECONDS", 600)
NOTIFY_REMINDER_CHECK_SECONDS = env_float("NOTIFY_REMINDER_CHECK_SECONDS", 900)
HOUSEKEEPING_SECONDS = env_float("HOUSEKEEPING_SECONDS", 3600)
SLA_CHECK_SECONDS = env_float("SLA_CHECK_SECONDS", 60)
# Pending Response: remind the requester after N business days, close after M (0 = never);
# a team's own policy (admin: Reminder policies) overrides these defaults.
PENDING_REMIND_AFTER_DAYS = env_int("PENDING_REMIND_AFTER_DAYS", 2)
PENDING_CLOSE_AFTER_DAYS = env_int("PENDING_CLOSE_AFTER_DAYS", 7)
TASK_RESULT_RETENTION_DAYS = env_int("TASK_RESULT_RETENTION_DAYS", 7)
# A task "running" this long belongs to a worker that died: it goes back to the queue
# (supportdesk.notify.recovery). Far above the longest task; every task may run again safely.
TASK_STALE_SECONDS = env_float("TASK_STALE_SECONDS", 900)
# /readyz: a worker must have run a periodic tick this recently (the heartbeat job ticks every
# WORKER_HEARTBEAT_SECONDS); READYZ_REQUIRE_WORKER=false skips the check (single process).
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 20)
READYZ_WORKER_MAX_AGE_SECONDS = env_float("READYZ_WORKER_MAX_AGE_SECONDS", 60)
READYZ_REQUIRE_WORKER = env_bool("READYZ_REQUIRE_WORKER", True)

# Attachments: per-file size limit and the allowed file name extensions.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 25) * 1024 * 1024
ATTACHMENT_EXTENSIONS = env_list(
    "ATTACHMENT_EXTENSIONS",
    [
        *("pdf", "txt", "csv", "md", "json", "xml", "eml", "msg", "zip"),
        *("png", "jpg", "jpeg", "gif", "webp"),
        *("doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods"),
    ],
)
UPLOAD_TTL_HOURS = env_int("UPLOAD_TTL_HOURS", 24)
# API `Idempotency-Key`s: a retry within this many hours replays the first answer.
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)
# API requests per token (per user for browser-session calls): "<N>/<second|minute|hour|day>",
# or "off". Over it: 429 with Retry-After. Counted in the cache (see supportdesk.api.ratelimit).
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600/minute")
CASE_REOPEN_DAYS = env_int("CASE_REOPEN_DAYS", 14)
# The wizard's suggested priority from the record (cases/priority_rules.py).
PRIORITY_RULES = env_list("PRIORITY_RULES", ["close_soon", "quarter_end", "renewal_soon"])
PRIORITY_CLOSE_BUSINESS_DAYS = env_int("PRIORITY_CLOSE_BUSINESS_DAYS", 5)
PRIORITY_QUARTER_END_DAYS = env_int("PRIORITY_QUARTER_END_DAYS", 7)
PRIORITY_RENEWAL_DAYS = env_int("PRIORITY_RENEWAL_DAYS", 14)
FISCAL_YEAR_START_MONTH = env_int("FISCAL_YEAR_START_MONTH", 1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Files are cut off at ATTACHMENT_MAX_BYTES while they stream in (supportdesk.cases.uploads);
# a multipart request over ATTACHMENT_MAX_REQUEST_MB is refused before its body is read.
ATTACHMENT_MAX_REQUEST_BYTES = env_int("ATTACHMENT_MAX_REQUEST_MB", 100) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "supportdesk.cases.uploads.AttachmentLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Logs go to the console, each record with its request id: one JSON object a line in
# production, plain text in development (LOG_FORMAT=json|text).
LOGGING = logging_config(
    log_format=env_str("LOG_FORMAT", "text" if DEBUG else "json").strip().lower(),
    level=env_str("LOG_LEVEL", "INFO"),
)
# /metrics (supportdesk.observability): staff, `Authorization: Bearer <METRICS_TOKEN>`, or a
# client address in METRICS_ALLOWED_IPS; anyone else gets 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_networks("METRICS_ALLOWED_IPS")
# Reverse proxies whose X-Forwarded-For is believed for the client's address (the right-most
# entry that is not one of them); empty: the connecting address, always.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

# HTTPS behind a TLS-terminating proxy (BEHIND_HTTPS_PROXY=true): the proxy's
# X-Forwarded-Proto says whether the client used https; plain http is redirected (except the
# probes, so a load balancer may check over http), cookies are https-only, and HSTS tells
# browsers to use https. The proxy must set X-Forwarded-Proto itself, overwriting the client's.
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY", False)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", BEHIND_HTTPS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", BEHIND_HTTPS_PROXY)
# Sent only on https responses, so harmless on plain-http installs.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading is a submission to the browsers' lists for the whole domain (hstspreload.org), a
# decision for the domain's owner, not a default: without it the check's reminder is silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
