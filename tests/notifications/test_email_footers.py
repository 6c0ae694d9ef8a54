"""Each kind of email has the footer that fits it: a staff member's reminders say they cannot be
switched off, a line manager is told why they hear about their team, digests offer their
unsubscribe link, HR and leads are told why they get theirs. And review emails say "was due on"
for a date that has passed, "is due on" for one to come."""

import datetime
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from notifications import sources
from workforce.emails import subject_render

STAFF_LINE = "Reminders about required safeguarding training cannot be switched off."

FOOTERS = {
    "assigned": STAFF_LINE,
    "due_soon": STAFF_LINE,
    "overdue": STAFF_LINE,
    "renewal_open": STAFF_LINE,
    "renewal_soon": STAFF_LINE,
    "expired": STAFF_LINE,
    "escalation": "names you as the line manager; these reminders cannot be switched off",
    "manager_digest": "You get this weekly digest because your agency's staff list names you as a line",
    "agency_digest": "You get this monthly digest as your agency's training lead in the tracker.",
    "verification_review": "as a partnership lead, while certificates wait more than 3 days",
    "staff_list_review": "as your agency's HR contact in the tracker",
    "action_plan_review": "as the owner of an action in the partnership's HSB action plan",
    "reminder_now": STAFF_LINE,
    "session_booked": "you have a place, or are waiting for one, on this training session",
    "session_waitlisted": "you have a place, or are waiting for one, on this training session",
    "session_offered": "you have a place, or are waiting for one, on this training session",
    "session_changed": "you have a place, or are waiting for one, on this training session",
    "session_cancelled": "you have a place, or are waiting for one, on this training session",
    "session_reminder": "you have a place, or are waiting for one, on this training session",
    "session_attendees": "as a trainer of the session",
    "session_feedback": "because you attended this training session",
    "board_report": "You get this monthly email as a partnership lead in the tracker.",
}


def test_every_kind_of_email_has_a_footer_of_its_own():
    registered = {value for value, _label in sources.kind_choices()}
    assert registered == set(FOOTERS), "a new kind needs its footer here"
    for kind, words in FOOTERS.items():
        assert words in sources.kind_footer(kind), kind


@pytest.mark.parametrize("part", ["txt", "html"])
@pytest.mark.parametrize("kind", sorted(FOOTERS))
def test_each_kind_renders_with_its_footer_and_no_other(kind, part):
    section = SimpleNamespace(kind=kind, html="<p>Body</p>", text="Body", unsubscribe_url="")
    if sources.is_digest(kind):
        section.unsubscribe_url = "https://hsb.example.org/notifications/email-preferences/x/"
    footers = [sources.kind_footer(kind)]
    body = render_to_string(
        f"notifications/email/message-body.{part}",
        {"sections": [section], "person": None, "record_url": "", "footers": footers, "subject": "S"},
    )
    assert FOOTERS[kind] in body.replace("&#x27;", "'")
    assert (STAFF_LINE in body) is (FOOTERS[kind] == STAFF_LINE)
    assert ("Stop receiving this digest" in body) is sources.is_digest(kind)


def _review(review_on, today, on_the_day=False):
    return {
        "track": "owner",
        "on_the_day": on_the_day,
        "action": SimpleNamespace(title="Audit", get_status_display=lambda: "In progress", owner_name="Sam"),
        "review_on": f"{review_on:%-d %B %Y}",
        "due_on": "1 June 2026",
        "days": (review_on - today).days,
        "update_url": "https://hsb.example.org/u/",
    }


TODAY = datetime.date(2026, 3, 4)


@pytest.mark.parametrize("part", ["subject.txt", "body.txt", "body.html"])
@pytest.mark.parametrize(
    ("review_on", "words"),
    [
        (datetime.date(2026, 3, 18), "is due for review on 18 March 2026"),
        (TODAY, "due for review today"),
        (datetime.date(2026, 3, 1), "was due for review on 1 March 2026"),
    ],
)
def test_an_action_review_says_was_due_for_a_past_date(review_on, words, part):
    template = f"notifications/email/action_plan_review-{part}"
    context = _review(review_on, TODAY)
    text = subject_render(template, context) if part == "subject.txt" else render_to_string(template, context)
    if part == "subject.txt":
        words = (
            words.replace("is due for review on", "review is due on")
            .replace("was due for review on", "review was due on")
            .replace("due for review today", "review is due today")
        )
    assert words in text


@pytest.mark.parametrize("part", ["txt", "html"])
@pytest.mark.parametrize(
    ("past", "words"), [(True, "was due on 1 March 2026"), (False, "is due on 1 March 2026")]
)
def test_the_next_assessment_round_says_was_due_once_its_date_has_passed(past, words, part):
    context = {
        "track": "round",
        "round_past": past,
        "due_on": "1 March 2026",
        "interval_months": 12,
        "last_round": SimpleNamespace(title="Baseline", assessed_on=datetime.date(2025, 3, 1)),
        "start_url": "https://hsb.example.org/r/",
    }
    assert words in render_to_string(f"notifications/email/action_plan_review-body.{part}", context)
