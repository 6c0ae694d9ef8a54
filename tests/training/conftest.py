"""Fixtures of the training tests. Staff sign-in, certificates, verification, registers and
exemptions share theirs from records_fixtures.py (tests/workforce/conftest.py uses them too)."""

from tests.training.compliance_fixtures import on_day, scene  # noqa: F401 - compliance pages
from tests.training.records_fixtures import eager_tasks, media, module, required  # noqa: F401
