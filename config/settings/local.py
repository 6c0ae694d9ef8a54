"""Development and the embedded default that `make run` uses."""

from .base import *  # noqa: F403
from .base import env, env_or_fail

DEBUG = env_or_fail("DJANGO_DEBUG", env.bool, default=True)
