"""Reminder email wording: long counts of days read as people write them ("1,006 days")."""

import datetime
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

STAFF = SimpleNamespace(
    full_name="Rosemary Moore", first_name="Rosemary", job_title="Practitioner", job_role=""
)
ESCALATION = {"agency": "Agency A", "how_to": "book a place"}
MODULE = SimpleNamespace(code="HSB-202", title="Multi-agency workshop")


@pytest.mark.parametrize("part", ["html", "txt"])
@pytest.mark.parametrize(
    ("kind", "context", "words"),
    [
        ("escalation", {**ESCALATION, "lapsed": "overdue"}, "1,006 days later"),
        ("escalation", {**ESCALATION, "lapsed": "expired"}, "1,006 days later"),
        ("overdue", {}, "(1,006 days ago)"),
        ("expired", {}, "(1,006 days ago)"),
        (
            "staff_list_review",
            {"agency": SimpleNamespace(name="Agency A"), "last_upload": "4 March 2023"},
            "1,006 days ago",
        ),
    ],
)
def test_a_long_count_of_days_has_a_thousands_separator(kind, context, words, part):
    body = render_to_string(
        f"notifications/email/{kind}-body.{part}",
        {"staff": STAFF, "module": MODULE, "cycle_date": datetime.date(2024, 2, 24), "days": 1006, **context},
    )
    assert words in body
    assert "1006" not in body
