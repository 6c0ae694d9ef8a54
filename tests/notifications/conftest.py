import pytest
from django.core.cache import cache

from tests.notifications.fixtures import (  # noqa: F401 - the reminder engine's fixtures
    fault_broker,
    smtp_server,
    smtp_settings,
)
from tests.training.compliance_fixtures import scene  # noqa: F401 - the planner against the state


@pytest.fixture(autouse=True)
def _no_kept_preview():
    """The preview of tomorrow's batch is kept in the cache; each test works out its own."""
    from notifications.selectors.outbox import PREVIEW_CACHE_KEY

    cache.delete(PREVIEW_CACHE_KEY)
