"""Reads of the privacy pages."""

from .models import Anonymisation, PrivacyNotice, RetentionRun
from .notice import default_text

RUNS_SHOWN = 30


def privacy_notice_text() -> tuple[str, PrivacyNotice | None]:
    """The notice's text (the lead's, or the default) and the row it came from, if any."""
    notice = PrivacyNotice.objects.select_related("updated_by").order_by("pk").first()
    return (notice.text if notice else default_text()), notice


def retention_runs(limit=RUNS_SHOWN):
    return list(RetentionRun.objects.all()[:limit])


def anonymisation_of(staff):
    return Anonymisation.objects.filter(staff=staff).select_related("actor").first()
