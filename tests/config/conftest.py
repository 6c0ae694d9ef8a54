from tests.celery_fixtures import (  # noqa: F401 - fixtures shared with other test packages
    celery_broker_folders,
    celery_session_worker,
    celery_test_queue,
    celery_worker,
)
