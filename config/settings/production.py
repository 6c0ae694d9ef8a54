"""Production: no defaults for secrets or hosts, HTTPS everywhere.

`manage.py check --deploy` must print no warnings with these settings; .ci/run fails on any.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_or_fail


def required(name, cast):
    """Read a variable that has no safe default; an unset or empty value stops the start."""
    value = env_or_fail(name, cast, default=None)
    if not value:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable: production settings have no default for it."
        )
    return value


DEBUG = False
SECRET_KEY = required("SECRET_KEY", env.str)
ALLOWED_HOSTS = required("ALLOWED_HOSTS", env.list)

# TLS ends at the proxy in front of gunicorn, which says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_or_fail("SECURE_SSL_REDIRECT", env.bool, default=True)
# Health checks come from inside the network over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_or_fail("SECURE_HSTS_SECONDS", env.int, default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Links allauth builds (the single sign-on redirect URI) say https when TLS ends at the proxy.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SECURE_SSL_REDIRECT else "http"
