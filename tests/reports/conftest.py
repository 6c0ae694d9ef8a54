from tests.notifications.fixtures import smtp_server, smtp_settings  # noqa: F401 - the local SMTP server
from tests.training.compliance_fixtures import on_day, scene  # noqa: F401 - the compliance scene
