"""Settings come from the environment: production refuses to start without its secrets, a malformed
value names the variable, and `check --deploy` is clean.

Each case reads the settings in a fresh interpreter, because settings are read once per process.
Importing the settings module is all it takes (and is much quicker than starting Django).
"""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

# The subprocess gets only these from the test's environment, so that neither the developer's shell
# nor CI's PostgreSQL/Redis variables change what a case sees: every setting starts at its default.
PASSED_THROUGH = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH"}

PRODUCTION = "config.settings.production"
SHOW_SETTINGS = """
import importlib, json, os
s = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
print(json.dumps({name: getattr(s, name) for name in %r}, default=str))
"""


def good_secret_key():
    return secrets.token_urlsafe(50)


def run_python(args, *, settings_module=PRODUCTION, **variables):
    env = {name: value for name, value in os.environ.items() if name in PASSED_THROUGH}
    # Keeps a developer's .env out of the subprocess too (see config/settings/base.py).
    env["PYTEST_VERSION"] = os.environ.get("PYTEST_VERSION", "subprocess")
    env.update(DJANGO_SETTINGS_MODULE=settings_module, **variables)
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def read_settings(settings_module=PRODUCTION, **variables):
    return run_python(["-c", f"import {settings_module}"], settings_module=settings_module, **variables)


def show_settings(names, **variables):
    result = run_python(["-c", SHOW_SETTINGS % (names,)], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def last_line(stderr):
    return stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_secret_key(secret_key):
    variables = {"ALLOWED_HOSTS": "example.org"}
    if secret_key is not None:
        variables["SECRET_KEY"] = secret_key

    result = read_settings(**variables)

    assert result.returncode != 0
    assert last_line(result.stderr) == (
        "django.core.exceptions.ImproperlyConfigured: Set the SECRET_KEY environment variable: "
        "production settings have no default for it."
    )


@pytest.mark.parametrize("allowed_hosts", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_allowed_hosts(allowed_hosts):
    variables = {"SECRET_KEY": good_secret_key()}
    if allowed_hosts is not None:
        variables["ALLOWED_HOSTS"] = allowed_hosts

    result = read_settings(**variables)

    assert result.returncode != 0
    assert "Set the ALLOWED_HOSTS environment variable" in last_line(result.stderr)


@pytest.mark.parametrize(
    "name, value",
    [
        ("CELERY_TASK_TIME_LIMIT", "abc"),
        ("AXES_FAILURE_LIMIT", "five"),
        ("SECURE_HSTS_SECONDS", "a year"),
        ("CONN_MAX_AGE", "1.5 minutes"),
    ],
)
def test_a_malformed_value_stops_the_start_naming_the_variable(name, value):
    variables = {"SECRET_KEY": good_secret_key(), "ALLOWED_HOSTS": "example.org", name: value}
    if name == "CONN_MAX_AGE":
        # Only read for a server database; nothing connects to it in this case.
        variables["DATABASE_URL"] = "postgres://tracker@127.0.0.1:5432/tracker"

    result = read_settings(**variables)

    assert result.returncode != 0
    assert f"The environment variable {name} is malformed" in last_line(result.stderr)


def test_a_task_time_limit_beyond_the_visibility_timeout_is_refused():
    result = read_settings(
        SECRET_KEY=good_secret_key(),
        ALLOWED_HOSTS="example.org",
        CELERY_VISIBILITY_TIMEOUT="600",
        CELERY_TASK_TIME_LIMIT="900",
    )

    assert result.returncode != 0
    assert "CELERY_TASK_TIME_LIMIT must be shorter than CELERY_VISIBILITY_TIMEOUT" in result.stderr


def test_production_is_secure_by_default():
    values = show_settings(
        [
            "DEBUG",
            "ALLOWED_HOSTS",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_REDIRECT_EXEMPT",
        ],
        SECRET_KEY=good_secret_key(),
        ALLOWED_HOSTS="example.org,www.example.org",
        DJANGO_DEBUG="true",
    )

    assert values == {
        "DEBUG": False,
        "ALLOWED_HOSTS": ["example.org", "www.example.org"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_REDIRECT_EXEMPT": ["^healthz$"],
    }


def test_with_no_environment_at_all_the_embedded_defaults_need_no_server():
    values = show_settings(
        ["DEBUG", "DATABASES", "CELERY_BROKER_URL", "CACHES", "EMAIL_BACKEND", "TIME_ZONE", "LOGGING"],
        settings_module="config.settings.local",
    )

    database = values["DATABASES"]["default"]
    assert values["DEBUG"] is True
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"].endswith("var/tracker.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    # One INFO log line per email rather than the whole email (make run stays readable).
    assert values["EMAIL_BACKEND"] == "workforce.emails.LogEmailBackend"
    assert values["TIME_ZONE"] == "Europe/London"
    # The file-system broker has no host: kombu's "No hostname was supplied" is not shown.
    assert values["LOGGING"]["loggers"]["kombu.connection"] == {"level": "ERROR"}


def test_check_deploy_is_clean_with_production_settings():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=good_secret_key(),
        ALLOWED_HOSTS="example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


NOTIFY_KEY = "hsb_live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
NOTIFY_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"


def test_a_notify_email_url_selects_the_notify_backend():
    found = show_settings(
        ["EMAIL_BACKEND", "NOTIFY_API_KEY", "NOTIFY_TEMPLATE_ID"],
        SECRET_KEY=good_secret_key(),
        ALLOWED_HOSTS="example.org",
        EMAIL_URL=f"notify://{NOTIFY_KEY}",
        NOTIFY_TEMPLATE_ID=NOTIFY_TEMPLATE,
    )
    assert found == {
        "EMAIL_BACKEND": "notifications.notify.NotifyEmailBackend",
        "NOTIFY_API_KEY": NOTIFY_KEY,
        "NOTIFY_TEMPLATE_ID": NOTIFY_TEMPLATE,
    }


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"EMAIL_URL": "notify://not-a-key"},
            "EMAIL_URL must be notify:// followed by a GOV.UK Notify API key",
        ),
        ({"EMAIL_URL": f"notify://{NOTIFY_KEY}"}, "NOTIFY_TEMPLATE_ID must be the id"),
        (
            {"EMAIL_URL": f"notify://{NOTIFY_KEY}", "NOTIFY_TEMPLATE_ID": "welcome"},
            "NOTIFY_TEMPLATE_ID must be the id",
        ),
        ({"RETENTION_LEAVER_YEARS": "0"}, "RETENTION_LEAVER_YEARS must be 1 or more"),
        ({"RETENTION_UPLOAD_DAYS": "ninety"}, "The environment variable RETENTION_UPLOAD_DAYS is malformed"),
    ],
)
def test_notify_and_retention_settings_are_checked_at_start(variables, message):
    result = read_settings(SECRET_KEY=good_secret_key(), ALLOWED_HOSTS="example.org", **variables)
    assert result.returncode != 0
    assert message in last_line(result.stderr)
