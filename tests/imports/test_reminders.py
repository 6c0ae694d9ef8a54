"""The staff-list review, a reminder source of the imports app (imports.reminders): its pure rule
from a table of cases. Its planning and sending are in tests/notifications and the contract test
every source passes (tests/notifications/test_sources_contract.py)."""

import datetime

from imports import reminders
from notifications import rules

D = datetime.date


def labels(stages):
    return [(stage.trigger, stage.kind, stage.label) for stage in stages]


def test_staff_list_review_after_90_days_then_every_30():
    stages = reminders.review_stages(last_upload=D(2026, 1, 1), today=D(2026, 5, 31))
    assert labels(stages) == [
        (D(2026, 4, 2), reminders.KIND, "L+91"),  # the upload is 91 days old: "over 90"
        (D(2026, 5, 2), reminders.KIND, "L+121"),
        (D(2026, 6, 1), reminders.KIND, "L+151"),  # the next one, after today
    ]
    assert rules.catch_up(stages, D(2026, 4, 1)).latest is None
    assert rules.catch_up(stages, D(2026, 4, 2)).latest.label == "L+91"
