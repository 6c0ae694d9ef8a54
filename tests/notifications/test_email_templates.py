"""Reminder email wording: long counts of days read as people write them ("1,006 days"); subjects
are plain text ("O'Brien", never "O&#x27;Brien")."""

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


SUBJECTS = [
    "notifications/email/assigned-subject.txt",
    "notifications/email/due_soon-subject.txt",
    "notifications/email/overdue-subject.txt",
    "notifications/email/expired-subject.txt",
    "notifications/email/renewal_open-subject.txt",
    "notifications/email/renewal_soon-subject.txt",
    "notifications/email/escalation-subject.txt",
    "notifications/email/agency_digest-subject.txt",
]


@pytest.mark.parametrize("template_name", SUBJECTS)
def test_a_subject_is_plain_text_with_no_html_entities(template_name):
    from workforce.emails import subject_render

    subject = subject_render(
        template_name,
        {
            "staff": SimpleNamespace(full_name="Siobhan O'Brien", first_name="Siobhan"),
            "module": SimpleNamespace(code="HSB-1", title="Children's & young people's needs"),
            "agency": SimpleNamespace(name="St Mary's & Co"),
            "cycle_date": datetime.date(2026, 3, 4),
            "month": datetime.date(2026, 3, 1),
            "lapsed": "overdue",
        },
    )
    assert "&#x27;" not in subject and "&amp;" not in subject and "&lt;" not in subject
    assert "'" in subject
    assert "\n" not in subject
