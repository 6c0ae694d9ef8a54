"""Fixtures of the demo-data tests: the strategy demo builds on the strategy tests' catalogue."""

from tests.strategy.conftest import catalogue  # noqa: F401
