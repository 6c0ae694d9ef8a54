"""Digests carry a one-click unsubscribe and a preference page; mandatory reminders do not. And a
lead edits module reminder policies in the admin, validated."""

import base64
import binascii
import datetime
import hashlib
import re

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import DigestLink, DigestOptOut, ReminderItem, ReminderPolicy
from tests.notifications.builders import D, hsb101, person, quiet_agency, role_requiring

pytestmark = pytest.mark.django_db

MONDAY = D(2026, 4, 20)


def url(email="boss@example.org", kind="manager_digest"):
    return reverse(
        "notifications:digest-preferences", args=[services.digest_link_create(email=email, kind=kind)]
    )


def legacy_url(email="boss@example.org", kind="manager_digest"):
    """A link as digests carried it before the tokens became opaque: a signed, readable payload."""
    token = signing.dumps({"e": email, "k": kind}, salt=services.UNSUBSCRIBE_SALT, compress=True)
    return reverse("notifications:digest-preferences", args=[token])


@pytest.fixture
def team():
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    return person(agency, role, start=D(2026, 1, 5), manager="boss@example.org")  # overdue from 5 April


def send_monday():
    services.reminders_plan(day=MONDAY, queue=False)
    services.pending_messages_send(today=MONDAY)


def test_a_digest_only_email_carries_one_click_unsubscribe_headers(team, settings):
    settings.SITE_URL = "https://hsb.example.org"
    monday = D(2026, 3, 9)  # Asha is due within 30 days: in the digest, but no escalation yet
    services.reminders_plan(day=monday, queue=False)
    services.pending_messages_send(today=monday)

    [digest] = [message for message in mail.outbox if message.to == ["boss@example.org"]]
    assert digest.subject == "HSB training for your team: week of 9 March 2026"
    link = digest.extra_headers["List-Unsubscribe"]
    assert link.startswith("<https://hsb.example.org/notifications/email-preferences/") and link.endswith(
        "/>"
    )
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        "Stop receiving this digest: https://hsb.example.org/notifications/email-preferences/" in digest.body
    )
    assert "- Asha Patel (" in digest.body
    assert "HSB-101 Understanding harmful sexual behaviour, due (due 5 April 2026)" in digest.body


def test_an_email_with_a_mandatory_reminder_has_no_unsubscribe_header(team, settings):
    settings.SITE_URL = "https://hsb.example.org"
    send_monday()  # the escalation and the digest go together

    [email] = [message for message in mail.outbox if message.to == ["boss@example.org"]]
    assert email.subject == "HSB training: 2 items need your attention"
    assert "List-Unsubscribe" not in email.extra_headers
    assert "names you as the line manager; these reminders cannot be switched off." in email.body
    assert "You get this weekly digest because" in email.body
    assert "Stop receiving this digest" in email.body  # the digest part can still be switched off
    assert "Reminders about required safeguarding training" not in email.body, "that is staff's footer"
    staff_email = next(message for message in mail.outbox if message.to == ["asha.patel@example.org"])
    assert "List-Unsubscribe" not in staff_email.extra_headers
    assert "Stop receiving" not in staff_email.body
    # Every email links to the privacy notice (PRODUCT.md section 13).
    for message in (email, staff_email):
        assert "How we use your personal data: https://hsb.example.org/privacy/" in message.body
        assert 'href="https://hsb.example.org/privacy/"' in message.alternatives[0][0]


def test_one_click_unsubscribe_switches_the_digest_off(client, team):
    response = client.post(url(), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert response.content.decode() == "You will no longer receive the weekly line-manager digest."
    assert list(DigestOptOut.objects.values_list("email", "kind")) == [("boss@example.org", "manager_digest")]
    send_monday()
    assert not ReminderItem.objects.filter(kind="manager_digest").exists()
    assert ReminderItem.objects.filter(kind="escalation").exists()  # mandatory: still planned


def test_the_preference_page_shows_and_saves_choices(client, team):
    page = client.get(url())

    assert page.status_code == 200
    body = page.content.decode()
    assert "Choose which digests the HSB training tracker sends to <strong>boss@example.org</strong>." in body
    assert "Send me the weekly line-manager digest" in body
    assert "cannot be switched off" in body

    saved = client.post(url(), {"agency_digest": "on"}, follow=True)

    assert "Your email preferences have been saved." in saved.content.decode()
    assert list(DigestOptOut.objects.values_list("kind", flat=True)) == ["manager_digest"]

    client.post(url(), {"agency_digest": "on", "manager_digest": "on"})
    assert not DigestOptOut.objects.exists()


def test_an_altered_link_is_refused_and_changes_nothing(client, team):
    response = client.post(url()[:-3] + "xx/", {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 404
    assert "This link has expired or is not valid." in response.content.decode()
    assert not DigestOptOut.objects.exists()


def test_mandatory_reminders_cannot_be_switched_off(team):
    with pytest.raises(Exception, match="Only digests can be switched off"):
        services.digest_preferences_set(email="asha.patel@example.org", receive={"overdue": False})
    assert not DigestOptOut.objects.exists()


def test_a_token_for_a_mandatory_kind_is_refused(client):
    token = services.digest_link_create(email="asha.patel@example.org", kind="overdue")
    response = client.post(
        reverse("notifications:digest-preferences", args=[token]), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 404
    assert client.post(legacy_url(kind="overdue"), {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert not DigestOptOut.objects.exists()


# --- the link gives nothing away ---------------------------------------------------------------


def _readings(text):
    """The link's parts as they are and as base64 (padded, both alphabets), zlib-inflated too."""
    import zlib

    for part in re.split(r"[/:.<>]", text):
        yield part
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                raw = decode(part + "=" * (-len(part) % 4))
            except (binascii.Error, ValueError):
                continue
            yield raw.decode("latin-1")
            try:
                yield zlib.decompress(raw).decode("latin-1")
            except zlib.error:
                pass


def test_the_link_in_a_digest_holds_nothing_that_decodes_to_the_address(team, settings):
    settings.SITE_URL = "https://hsb.example.org"
    monday = D(2026, 3, 9)
    services.reminders_plan(day=monday, queue=False)
    services.pending_messages_send(today=monday)
    [digest] = [message for message in mail.outbox if message.to == ["boss@example.org"]]
    link = digest.extra_headers["List-Unsubscribe"].strip("<>")
    for reading in [link, *_readings(link)]:
        assert "boss@example.org" not in reading and "boss" not in reading
    token = link.rstrip("/").rsplit("/", 1)[1]
    row = DigestLink.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())
    assert (row.email, row.kind) == ("boss@example.org", "manager_digest")
    assert token not in str(list(DigestLink.objects.values()))
    # The legacy format did give the address away: the test can tell the difference.
    assert any("boss@example.org" in reading for reading in _readings(legacy_url()))


def test_one_click_from_the_emails_own_header_works_without_a_session(client, team, settings):
    settings.SITE_URL = "https://hsb.example.org"
    monday = D(2026, 3, 9)
    services.reminders_plan(day=monday, queue=False)
    services.pending_messages_send(today=monday)
    [digest] = [message for message in mail.outbox if message.to == ["boss@example.org"]]
    path = digest.extra_headers["List-Unsubscribe"].strip("<>").removeprefix("https://hsb.example.org")
    client.cookies.clear()
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert list(DigestOptOut.objects.values_list("email", "kind")) == [("boss@example.org", "manager_digest")]


def test_opening_the_link_shows_the_page_and_changes_nothing(client, team):
    path = url()
    for _ in range(2):  # a mail scanner fetching the link, then the person
        response = client.get(path)
        assert response.status_code == 200
        assert "Send me the weekly line-manager digest" in response.content.decode()
    assert not DigestOptOut.objects.exists()


def test_a_link_older_than_a_year_is_refused_and_changes_nothing(client, team):
    token = services.digest_link_create(
        email="boss@example.org", kind="manager_digest", now=timezone.now() - datetime.timedelta(days=366)
    )
    path = reverse("notifications:digest-preferences", args=[token])
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
    assert "This link has expired or is not valid." in response.content.decode()
    assert "most recent digest" in response.content.decode()
    assert not DigestOptOut.objects.exists()
    assert services.digest_links_purge() == 1


def test_an_old_signed_link_still_unsubscribes_in_one_click(client, team):
    response = client.post(legacy_url(), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert list(DigestOptOut.objects.values_list("email", "kind")) == [("boss@example.org", "manager_digest")]


def test_an_old_signed_link_altered_is_refused(client, team):
    response = client.post(legacy_url()[:-3] + "xx/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
    assert not DigestOptOut.objects.exists()


# --- module reminder policies in the admin -------------------------------------------------------


def policy_form(module, **fields):
    data = {
        "module": module.pk,
        "due_soon_days": "",
        "overdue_every_days": "",
        "overdue_max": "",
        "renewal_soon_days": "",
        "expired_every_days": "",
        "expired_max": "",
        "escalation_after_days": "",
    }
    data.update(fields)
    return data


def test_a_lead_sets_a_modules_policy_in_the_admin(client, lead):
    module = hsb101()
    client.force_login(lead)

    response = client.post(
        reverse("admin:notifications_reminderpolicy_add"),
        policy_form(module, due_soon_days="21, 3", overdue_every_days="7", overdue_max="4"),
    )

    assert response.status_code == 302
    policy = ReminderPolicy.objects.get(module=module)
    assert (policy.due_soon_days, policy.overdue_every_days, policy.overdue_max, policy.updated_by) == (
        "21, 3",
        7,
        4,
        lead,
    )
    assert policy.history.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"due_soon_days": "30, soon"}, "“soon” is not a whole number of days."),
        ({"renewal_soon_days": "90"}, "“Renew soon” reminders must fall inside the renewal window"),
        ({"overdue_max": "20"}, "Send between 1 and 12 reminders."),
        ({"expired_every_days": "0"}, "Repeat every 1 to 365 days."),
    ],
)
def test_an_unsound_policy_is_refused_with_a_message_and_nothing_saved(client, lead, fields, message):
    module = hsb101()
    client.force_login(lead)

    response = client.post(reverse("admin:notifications_reminderpolicy_add"), policy_form(module, **fields))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReminderPolicy.objects.exists()


def test_the_renewal_window_cannot_be_longer_than_the_validity(client, lead):
    module = hsb101()
    module.validity_months = 2
    module.save()
    client.force_login(lead)

    response = client.post(reverse("admin:notifications_reminderpolicy_add"), policy_form(module))

    assert response.status_code == 200
    assert (
        "The renewal window (60 days) cannot be as long as the validity (2 months, which can be as short as "
        "59 days). Shorten the renewal window on HSB-101 first."
    ) in response.content.decode()
    assert not ReminderPolicy.objects.exists()


def test_only_leads_reach_the_policy_admin(client, hr_a):
    client.force_login(hr_a)

    response = client.get(reverse("admin:notifications_reminderpolicy_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response.url
