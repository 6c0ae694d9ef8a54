"""Production: no defaults for secrets or hosts, HTTPS everywhere."""

from .base import *  # noqa: F403
from .base import env, env_or_fail

DEBUG = False
# Required: ImproperlyConfigured names the variable when either is missing.
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env_or_fail("ALLOWED_HOSTS", env.list)
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set the ALLOWED_HOSTS environment variable (comma-separated host names).")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_or_fail("SECURE_SSL_REDIRECT", env.bool, default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_or_fail("SECURE_HSTS_SECONDS", env.int, default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
