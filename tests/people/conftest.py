"""Fixtures of the workforce tests. Staff sign-in shares the training records' fixtures."""

from tests.training.compliance_fixtures import on_day, scene  # noqa: F401 - compliance pages
from tests.training.records_fixtures import eager_tasks, media, module, required  # noqa: F401
