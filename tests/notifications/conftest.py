from tests.celery_fixtures import (  # noqa: F401 - fixtures shared with other test packages
    celery_broker_folders,
    celery_session_worker,
    celery_test_queue,
    celery_worker,
)
from tests.notifications.fixtures import (  # noqa: F401 - the reminder engine's fixtures
    fault_broker,
    smtp_server,
    smtp_settings,
)
