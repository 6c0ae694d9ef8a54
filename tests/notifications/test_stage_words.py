"""Every stage label in plain words, the same on every page and in every download
(notifications.sources.stage_text): no "U+14" or "X-60" for a lead to decode."""

import pytest

from notifications import sources
from notifications.templatetags.reminder_pages import cycle_name, stage_text


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("start", "when the training became required"),
        ("U-30", "30 days before the due date"),
        ("U-7", "1 week before the due date"),
        ("U+0", "on the due date"),
        ("U+14", "2 weeks after the due date"),
        ("U+28", "4 weeks after the due date"),
        ("U+70", "10 weeks after the due date"),
        ("X-60", "60 days before expiry"),
        ("X-30", "30 days before expiry"),
        ("X-1", "1 day before expiry"),
        ("X+0", "on the expiry date"),
        ("X+14", "2 weeks after expiry"),
        ("X+15", "15 days after expiry"),
        ("L+90", "90 days after the last staff-list upload"),
        ("L+120", "120 days after the last staff-list upload"),
        ("R-14", "2 weeks before the review date"),
        ("R+0", "on the review date"),
        ("A-14", "2 weeks before the assessment round's due date"),
        ("daily", "each day while needed"),
        ("weekly", "each Monday"),
        ("monthly", "on the 1st of each month"),
    ],
)
def test_every_stage_form_in_words(label, words):
    assert sources.stage_text(label) == words
    assert stage_text(label) == words, "the pages' filter says the same"


@pytest.mark.parametrize("label", ["", "Q+3", "U14", "nonsense"])
def test_an_unknown_label_is_shown_as_it_is(label):
    assert sources.stage_text(label) == label


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("U+14", "due date"),
        ("X-60", "expiry"),
        ("L+90", "last staff-list upload"),
        ("weekly", "week starting"),
    ],
)
def test_what_the_date_of_an_item_is(label, name):
    assert sources.cycle_name(label) == name
    assert cycle_name(label) == name
