"""Settings for the test suite: same database and broker as configured, fast hashing, local cache."""

import os

from .base import *  # noqa: F403
from .base import REDIS_URL

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Parallel test processes (pytest-xdist) may share one Redis: each keeps to its own keys.
CACHES["default"]["KEY_PREFIX"] = f"tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5

# On SQLite, a file (not the shared in-memory database) lets the Celery worker thread and the test
# write through separate connections without "database table is locked"; pytest-xdist adds a
# per-process suffix to the name.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    VAR_DIR.mkdir(exist_ok=True)  # noqa: F405
    # The process id keeps two test runs in one checkout apart; the file is removed at the end.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-tracker-{os.getpid()}.sqlite3")}  # noqa: F405

# The read replica's alias, mirroring the primary (no database of its own): the router's tests
# switch DATABASE_REPLICA_ENABLED on; every other test reads the primary.
if "replica" not in DATABASES:  # noqa: F405
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
