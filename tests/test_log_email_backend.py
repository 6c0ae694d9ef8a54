"""`make run`'s email backend logs one INFO line per email, never the email itself."""

import logging

from django.core.mail import EmailMessage

from workforce.emails import LogEmailBackend


def test_each_email_is_one_info_line_naming_recipient_and_subject(caplog):
    caplog.set_level(logging.INFO, logger="workforce.emails")
    messages = [EmailMessage("Due soon", "BODY TEXT", "a@example.org", ["x@example.org"]) for _ in range(2)]
    assert LogEmailBackend().send_messages(messages) == 2
    records = [r for r in caplog.records if r.name == "workforce.emails"]
    assert len(records) == 2 and all(r.levelno == logging.INFO for r in records)
    assert "x@example.org" in records[0].getMessage() and "Due soon" in records[0].getMessage()
    assert "BODY TEXT" not in caplog.text
