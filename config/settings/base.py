"""Settings shared by every environment.

Every value comes from the environment through one reader (django-environ). A missing or malformed
value fails at start with Django's ImproperlyConfigured naming the variable.
"""

import os
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env_file = BASE_DIR / ".env"
# A developer's .env never reaches the test suite, nor the processes its tests start (pytest sets
# PYTEST_VERSION): tests set what they need themselves.
if (
    env_file.exists()
    and "PYTEST_VERSION" not in os.environ
    and not os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".test")
):
    env.read_env(str(env_file))


BOOLEAN_WORDS = {"1", "0", "true", "false", "yes", "no", "on", "off", "y", "n", "t", "f"}


def env_or_fail(name, cast, **kwargs):
    """Read a variable, turning a malformed value into a message that names the variable."""
    raw = os.environ.get(name)
    if cast == env.bool and raw is not None and raw.strip().lower() not in BOOLEAN_WORDS:
        raise ImproperlyConfigured(f"The environment variable {name} must be true or false, not {raw!r}.")
    try:
        return cast(name, **kwargs)
    except ImproperlyConfigured:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure is reported against the variable
        raise ImproperlyConfigured(f"The environment variable {name} is malformed: {exc}") from exc


DEBUG = env_or_fail("DJANGO_DEBUG", env.bool, default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me-for-any-real-deployment")
ALLOWED_HOSTS = env_or_fail("ALLOWED_HOSTS", env.list, default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_or_fail("CSRF_TRUSTED_ORIGINS", env.list, default=[])
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")

# ---------------------------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------------------------

INSTALLED_APPS = [
    # The admin without autodiscovery at start-up: config/urls.py discovers the admin modules.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "audit",
    "workforce",
    "training",
    "notifications",
    "imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.middleware.PrimaryAfterWriteMiddleware",
    # Every file download (CSV, XLSX, certificates, uploads) is one audit event (audit app).
    "workforce.downloads.DownloadAuditMiddleware",
    # Last, as django-axes requires.
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
                "people.context_processors.navigation",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Database: SQLite under var/ by default, PostgreSQL in production and CI.
# ---------------------------------------------------------------------------------------------

DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}"


def _check_scheme(name, schemes, default):
    scheme = os.environ.get(name, default).split("://", 1)[0]
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"The environment variable {name} has an unknown scheme {scheme!r}; "
            f"use one of: {', '.join(sorted(schemes))}."
        )


_check_scheme("DATABASE_URL", {"sqlite", "postgres", "postgresql", "pgsql", "psql"}, DEFAULT_DATABASE_URL)
DATABASES = {"default": env_or_fail("DATABASE_URL", env.db_url, default=DEFAULT_DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside a writer, IMMEDIATE takes
    # the write lock when a transaction starts (no deadlocked upgrades), and the busy timeout makes
    # a second writer wait instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; "
            "PRAGMA foreign_keys=ON;"
        ),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env_or_fail("CONN_MAX_AGE", env.int, default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A PostgreSQL streaming replica for the heavy reads (dashboards, lists, exports, reports, the
# planner's reads): see workforce.database and config.db_router. Unset: everything reads the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_ENABLED = bool(DATABASE_REPLICA_URL)
if DATABASE_REPLICA_ENABLED:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must be a replica of DATABASE_URL (the same engine)."
        )
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"].get("CONN_MAX_AGE", 0))
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
# After a write, that browser reads the primary for this long (longer than the replica's lag).
REPLICA_STICKY_SECONDS = env_or_fail("REPLICA_STICKY_SECONDS", env.int, default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Cache: Redis where it runs (compose, CI), otherwise a database table every process shares.
# ---------------------------------------------------------------------------------------------

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache",
        }
    }

# ---------------------------------------------------------------------------------------------
# Authentication and access
# ---------------------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out login never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Five failed logins for one username from one address lock it out for 30 minutes.
AXES_FAILURE_LIMIT = env_or_fail("AXES_FAILURE_LIMIT", env.int, default=5)
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# How many proxies in front of the app append to X-Forwarded-For (0: none, the app is reached
# directly; 1: one TLS proxy, as in the README's deployment). The real client address, read
# right to left from that header (workforce.clients), keys the lock-out and every rate limit.
TRUSTED_PROXY_COUNT = env_or_fail("TRUSTED_PROXY_COUNT", env.int, default=0)
AXES_CLIENT_IP_CALLABLE = "workforce.clients.client_ip"

# The audit log (audit app): who signed in, downloaded, used an API token or changed something in
# the admin, and from where (the same real client address). Events older than
# AUDIT_RETENTION_DAYS (two years by default) are deleted nightly.
AUDIT_RETENTION_DAYS = env_or_fail("AUDIT_RETENTION_DAYS", env.int, default=730)
if AUDIT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("The environment variable AUDIT_RETENTION_DAYS must be at least 1.")
AUDIT_CLIENT_IP_CALLABLE = "workforce.clients.client_ip"

# Content-Security-Policy on every page (django-csp 4): scripts, styles, fonts and images from
# the tracker's own static files only, no inline script or style, no plugins, no framing, forms
# posting only to the tracker. CSP_REPORT_URI, when set, receives the browsers' violation reports.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# (Read into a lower-case name: django-csp 4 refuses any setting still named CSP_*.)
csp_report_uri = env("CSP_REPORT_URI", default="")
if csp_report_uri:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [csp_report_uri]

# Permissions-Policy on every response (django-permissions-policy): the tracker uses no browser
# feature beyond pages and forms, so every powerful one is off for it and for anything it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 10
X_FRAME_OPTIONS = "DENY"

# ---------------------------------------------------------------------------------------------
# Internationalisation: UK English, Europe/London; "today" is the date there.
# ---------------------------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j F Y, H:i"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y", "%d %B %Y", "%d %b %Y"]
FORMAT_MODULE_PATH = None

# ---------------------------------------------------------------------------------------------
# Static and uploaded files
# ---------------------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024

# ---------------------------------------------------------------------------------------------
# Email
# ---------------------------------------------------------------------------------------------

_check_scheme("EMAIL_URL", {*environ.Env.EMAIL_SCHEMES, "notify"}, "consolemail://")
# notify://API_KEY: GOV.UK Notify through its official client (notifications.notify), one Notify
# template with ((subject)) and ((body)) placeholders; NOTIFY_BASE_URL only changes for tests.
NOTIFY_API_KEY = ""
if os.environ.get("EMAIL_URL", "").startswith("notify://"):
    NOTIFY_API_KEY = os.environ["EMAIL_URL"][len("notify://") :].strip("/")
    # A Notify key is "name-<service id, 36 characters>-<secret, 36 characters>".
    if not re.fullmatch(r".*[0-9a-f-]{36}-[0-9a-f-]{36}", NOTIFY_API_KEY):
        raise ImproperlyConfigured(
            "The environment variable EMAIL_URL must be notify:// followed by a GOV.UK Notify API "
            "key (its name, the service id and the secret, joined by hyphens)."
        )
    EMAIL_BACKEND = "notifications.notify.NotifyEmailBackend"
else:
    EMAIL_CONFIG = env_or_fail("EMAIL_URL", env.email_url, default="consolemail://")
    vars().update(EMAIL_CONFIG)
NOTIFY_TEMPLATE_ID = env("NOTIFY_TEMPLATE_ID", default="")
if NOTIFY_API_KEY and not re.fullmatch(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", NOTIFY_TEMPLATE_ID
):
    raise ImproperlyConfigured(
        "The environment variable NOTIFY_TEMPLATE_ID must be the id of the GOV.UK Notify email "
        "template (with ((subject)) and ((body)) placeholders) when EMAIL_URL is notify://."
    )
NOTIFY_BASE_URL = env("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")
# The bearer token Notify sends to the delivery-status callback; empty: the callback answers 404.
NOTIFY_CALLBACK_TOKEN = env("NOTIFY_CALLBACK_TOKEN", default="")
EMAIL_TIMEOUT = env_or_fail("EMAIL_TIMEOUT", env.int, default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="HSB training tracker <hsb-training@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
REMINDER_REPLY_TO = env("REMINDER_REPLY_TO", default="")

# ---------------------------------------------------------------------------------------------
# Celery: the file-system broker under var/ by default (no server needed), Redis in compose and CI.
# ---------------------------------------------------------------------------------------------

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
# One visibility timeout for every transport that has one: a task a worker took but never
# acknowledged comes back after this long. Hard time limits stay well below it.
CELERY_VISIBILITY_TIMEOUT = env_or_fail("CELERY_VISIBILITY_TIMEOUT", env.int, default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(BROKER_DIR / "queue"),
            "data_folder_out": str(BROKER_DIR / "queue"),
            "control_folder": str(BROKER_DIR / "control"),
            "store_processed": False,
            # A worker with all its processes busy looks again after this long (kombu: 1 s, which
            # held the demo's first reminders, and an upload's check queued behind them, to about
            # two tasks a second). Looking at a folder ten times a second costs next to nothing.
            "polling_interval": 0.1,
        }
    )
    # The transport cannot publish into a folder that is not there: a command run on a fresh
    # clone before `make run` (seed_demo's bookings queue their notices) would fail at its end.
    for _folder in ("queue", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SOFT_TIME_LIMIT = env_or_fail("CELERY_TASK_SOFT_TIME_LIMIT", env.int, default=600)
CELERY_TASK_TIME_LIMIT = env_or_fail("CELERY_TASK_TIME_LIMIT", env.int, default=900)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_TASK_ALWAYS_EAGER = False
# Queues, so that a 100,000-row upload or a month's report never delays the morning's reminders:
# compose runs a worker per queue group; `make run`'s one worker consumes them all. A task not
# routed here goes to "default" (staff sign-in emails, purges).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "notifications.tasks.*": {"queue": "reminders"},  # planning, sending, the sweeper, heartbeat
    "imports.tasks.*": {"queue": "imports"},  # checking and applying uploads
    "training.tasks.compliance_snapshot_task": {"queue": "reports"},
    "training.tasks.compliance_state_*": {"queue": "reports"},  # the nightly roll and check
    "workforce.tasks.export_job_build_task": {"queue": "reports"},  # large exports
}
CELERY_QUEUE_NAMES = ("default", "reminders", "imports", "reports")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if CELERY_TASK_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "CELERY_TASK_TIME_LIMIT must be shorter than CELERY_VISIBILITY_TIMEOUT, or a slow task "
        "would be delivered to a second worker while the first still runs it."
    )

# The worker is healthy when its last heartbeat (written by a task that beat queues every
# minute) is younger than this many seconds.
HEALTH_WORKER_MAX_AGE = env_or_fail("HEALTH_WORKER_MAX_AGE", env.int, default=180)

# ---------------------------------------------------------------------------------------------
# Logging: one line per event to standard error.
# ---------------------------------------------------------------------------------------------

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every step of every PDF at INFO, and CSS it ignores at WARNING.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The file-system broker has no host, and kombu warns "No hostname was supplied" each time a
    # task is queued (seed_demo's output, make run's log): nothing is wrong, so it is not said.
    LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}

# --- web shell ---
# One way of rendering forms everywhere: GOV.UK markup from templates/forms/ (see config/forms.py).
# TemplatesSetting finds Django's own widget templates through the "django.forms" app.
INSTALLED_APPS += ["django.forms"]
FORM_RENDERER = "config.forms.GovukFormRenderer"

# --- demo data ---
# Where `seed_demo` writes the demo users' logins (owner-readable only).
DEMO_LOGINS_FILE = env("DEMO_LOGINS_FILE", default=str(VAR_DIR / "demo-logins.txt"))
# Django's en_GB locale outranks DATE_FORMAT above; this module makes dates read "4 March 2026".
FORMAT_MODULE_PATH = ["config.formats"]

# --- strategy ---
# The partnership's HSB workforce strategy: lead and sponsor, self-assessment rounds, action plan.
INSTALLED_APPS += ["strategy"]

# --- training sessions ---
# Sessions of classroom, live online and workshop modules: bookings, waiting lists, invitations,
# registers (PRODUCT.md section 9).
INSTALLED_APPS += ["courses"]
# The people pages and the demo data build on every app, so they come last (the top floor: see
# docs/architecture.md).
INSTALLED_APPS += ["people", "demo", "reports"]
# History is never overwritten: the admin shows it but cannot "revert" a record to an old snapshot.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- notifications ---
# The reminder sender's limits. A worker that dies while sending leaves its claim; the sweeper
# releases claims older than the lease, which must outlast the send task's hard time limit (a
# live sender is never doubled). Retries back off exponentially up to the cap; the cap plus the
# time limit stay far below the broker's visibility timeout, so a waiting retry is never
# redelivered to a second worker.
REMINDER_SEND_SOFT_TIME_LIMIT = env_or_fail("REMINDER_SEND_SOFT_TIME_LIMIT", env.int, default=60)
REMINDER_SEND_TIME_LIMIT = env_or_fail("REMINDER_SEND_TIME_LIMIT", env.int, default=90)
REMINDER_CLAIM_LEASE_SECONDS = env_or_fail("REMINDER_CLAIM_LEASE_SECONDS", env.int, default=300)
REMINDER_SWEEP_AFTER_SECONDS = env_or_fail("REMINDER_SWEEP_AFTER_SECONDS", env.int, default=15 * 60)
REMINDER_RETRY_BACKOFF_SECONDS = env_or_fail("REMINDER_RETRY_BACKOFF_SECONDS", env.float, default=60.0)
REMINDER_RETRY_BACKOFF_MAX_SECONDS = env_or_fail(
    "REMINDER_RETRY_BACKOFF_MAX_SECONDS", env.float, default=900.0
)
REMINDER_MAX_ATTEMPTS = env_or_fail("REMINDER_MAX_ATTEMPTS", env.int, default=6)
if REMINDER_CLAIM_LEASE_SECONDS <= REMINDER_SEND_TIME_LIMIT:
    raise ImproperlyConfigured(
        "REMINDER_CLAIM_LEASE_SECONDS must be longer than REMINDER_SEND_TIME_LIMIT, or the sweeper "
        "could hand a message that is still being sent to a second worker."
    )
if REMINDER_RETRY_BACKOFF_MAX_SECONDS + REMINDER_SEND_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT / 2:
    raise ImproperlyConfigured(
        "REMINDER_RETRY_BACKOFF_MAX_SECONDS plus REMINDER_SEND_TIME_LIMIT must stay under half of "
        "CELERY_VISIBILITY_TIMEOUT, or a waiting retry could be delivered to a second worker."
    )
# Celery's Django fixup closes the database connection before and after every task unless told to
# reuse it, and reconnecting to PostgreSQL for each reminder costs more than sending it. With this,
# a worker process reuses its connection for this many tasks (CONN_MAX_AGE and the connection
# health checks still apply). Under pytest the test worker thread must let go of its connection
# after every task, or the test database could not be dropped at the end: 0 (close each time).
CELERY_DB_REUSE_MAX = env_or_fail(
    "CELERY_DB_REUSE_MAX", env.int, default=0 if "PYTEST_VERSION" in os.environ else 100
)

# --- staff sign-in and completions ---
# Emailed sign-in links for staff (workforce.signin): at most this many links to one address per
# hour, and this many requests from one client address per hour (an office behind one address
# shares it, so it is generous). The counts live in the cache, which every process shares.
STAFF_SIGNIN_LINKS_PER_ADDRESS_PER_HOUR = env_or_fail(
    "STAFF_SIGNIN_LINKS_PER_ADDRESS_PER_HOUR", env.int, default=3
)
STAFF_SIGNIN_REQUESTS_PER_CLIENT_PER_HOUR = env_or_fail(
    "STAFF_SIGNIN_REQUESTS_PER_CLIENT_PER_HOUR", env.int, default=60
)
# Certificates and uploaded spreadsheets under MEDIA_ROOT are never served from a URL: each is
# downloaded through a view that checks who may see it (training.views.records.certificate_download).

# --- tooling ---
# The file-system broker through a transport that writes each message whole before the worker can
# see it (kombu's own can hand a worker a half-written file; see config/broker.py).
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "config.broker:FileSystemTransport"

# --- api ---
# The JSON API (PRODUCT.md section 10): bearer tokens of api.ApiToken, throttled per token,
# paginated, JSON errors; the OpenAPI schema and its docs use assets served from here (sidecar).
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "api"]
# Requests per token: "N/second", "N/minute", "N/hour" or "N/day". Over it: 429 with Retry-After.
API_THROTTLE_RATE = env_or_fail("API_THROTTLE_RATE", env.str, default="300/minute")
if not re.fullmatch(r"\d+/(second|minute|hour|day)", API_THROTTLE_RATE):
    raise ImproperlyConfigured(
        'API_THROTTLE_RATE must look like "300/minute" (per second, minute, hour or day); '
        f"got {API_THROTTLE_RATE!r}."
    )
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsLeadOrAgencyHR"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HSB training tracker API",
    "DESCRIPTION": (
        "Read the catalogue, staff and compliance, and record completions, with an API token "
        "(Your account, API tokens): `Authorization: Bearer <token>`. Each token sees exactly what "
        "its owner sees; another agency's object answers 404."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- privacy ---
# Personal data as UK GDPR expects (PRODUCT.md section 13): how long each kind is kept, applied by
# the nightly retention run (privacy.services.retention_run); the privacy notice page.
INSTALLED_APPS += ["privacy"]
# An export of more rows than this (people, or people and modules) is written in the background,
# with a progress page and a download when ready, rather than streamed while the browser waits;
# the file is kept EXPORT_KEEP_HOURS, for the person who asked.
EXPORT_BACKGROUND_ROWS = env_or_fail("EXPORT_BACKGROUND_ROWS", env.int, default=20_000)
EXPORT_KEEP_HOURS = env_or_fail("EXPORT_KEEP_HOURS", env.int, default=24)

RETENTION_LEAVER_YEARS = env_or_fail("RETENTION_LEAVER_YEARS", env.int, default=6)
RETENTION_UPLOAD_DAYS = env_or_fail("RETENTION_UPLOAD_DAYS", env.int, default=90)
RETENTION_REFUSED_UPLOAD_DAYS = env_or_fail("RETENTION_REFUSED_UPLOAD_DAYS", env.int, default=30)
RETENTION_OUTBOX_BODY_YEARS = env_or_fail("RETENTION_OUTBOX_BODY_YEARS", env.int, default=2)
for _name in (
    "RETENTION_LEAVER_YEARS",
    "RETENTION_UPLOAD_DAYS",
    "RETENTION_REFUSED_UPLOAD_DAYS",
    "RETENTION_OUTBOX_BODY_YEARS",
):
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"The environment variable {_name} must be 1 or more.")

# --- sign-in: single sign-on and the second factor (accounts, django-allauth) ---
# Leads and HR sign in with a password and a second factor (a TOTP app, with recovery codes), or
# through the partnership's identity provider over OpenID Connect, matched by verified email to an
# account a lead created: signing in never creates an account (PRODUCT.md section 11).
INSTALLED_APPS += [
    "accounts",  # before allauth, so that its GOV.UK templates replace allauth's own
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "allauth.account.middleware.AccountMiddleware",
)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("accounts.context_processors.sign_in")
# A user who must have a second factor reaches no page before passing it (or setting one up).
MIDDLEWARE.insert(
    MIDDLEWARE.index("allauth.account.middleware.AccountMiddleware") + 1,
    "accounts.middleware.SecondFactorMiddleware",
)

PASSWORD_SIGNIN_ENABLED = env_or_fail("PASSWORD_SIGNIN_ENABLED", env.bool, default=True)
# Groups whose members must have a second factor, besides partnership leads and superusers, who
# always must. Empty: optional for everyone else.
MFA_REQUIRED_GROUPS = env_or_fail("MFA_REQUIRED_GROUPS", env.list, default=["Agency HR"])
# Whom an identity with no account is told to ask, e.g. "Sam Jones (sam.jones@example.org)".
SIGNIN_HELP_CONTACT = env("SIGNIN_HELP_CONTACT", default="")

OIDC_SERVER_URL = env("OIDC_SERVER_URL", default="").rstrip("/")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="your organisation's account")
OIDC_PROVIDER_ID = env("OIDC_PROVIDER_ID", default="sso")
# Claims any one of which, when true, vouches for the email claim: the standard email_verified, and
# Microsoft Entra ID's xms_edov (email domain owner verified), which Entra sends instead.
OIDC_EMAIL_VERIFIED_CLAIMS = env_or_fail(
    "OIDC_EMAIL_VERIFIED_CLAIMS", env.list, default=["email_verified", "xms_edov"]
)
_OIDC = {
    "OIDC_SERVER_URL": OIDC_SERVER_URL,
    "OIDC_CLIENT_ID": OIDC_CLIENT_ID,
    "OIDC_CLIENT_SECRET": OIDC_CLIENT_SECRET,
}
if any(_OIDC.values()) and not all(_OIDC.values()):
    _missing = ", ".join(name for name, value in _OIDC.items() if not value)
    raise ImproperlyConfigured(
        f"Single sign-on needs OIDC_SERVER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: set {_missing}."
    )
if not re.fullmatch(r"[a-z0-9-]+", OIDC_PROVIDER_ID):
    raise ImproperlyConfigured(
        "OIDC_PROVIDER_ID must be lower-case letters, digits and hyphens (it is part of the redirect URI)."
    )
if not PASSWORD_SIGNIN_ENABLED and not OIDC_SERVER_URL:
    raise ImproperlyConfigured(
        "PASSWORD_SIGNIN_ENABLED is false but single sign-on is not configured (OIDC_SERVER_URL): "
        "nobody could sign in."
    )
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "APPS": (
            [
                {
                    "provider_id": OIDC_PROVIDER_ID,
                    "name": OIDC_PROVIDER_NAME,
                    "client_id": OIDC_CLIENT_ID,
                    "secret": OIDC_CLIENT_SECRET,
                    "settings": {"server_url": OIDC_SERVER_URL, "oauth_pkce_enabled": True},
                }
            ]
            if OIDC_SERVER_URL
            else []
        ),
    }
}
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_NOTIFICATIONS = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "HSB training tracker"
# Accounts are made by a lead, who types the address; allauth's own email verification is not used.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_FORMS = {
    "authenticate": "accounts.forms.AuthenticateForm",
    "reauthenticate": "accounts.forms.ReauthenticateForm",
    "activate_totp": "accounts.forms.ActivateTOTPForm",
    "deactivate_totp": "accounts.forms.DeactivateTOTPForm",
}
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
