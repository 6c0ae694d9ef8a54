"""An owner's link updates their own action only; forged, expired and other-action links are
refused with a helpful page and change nothing. The link is an opaque token stored hashed: nothing
in it decodes to the owner's address or the action's id. Old signed links still work until they
expire."""

import base64
import binascii
import datetime
import hashlib
import re

import pytest
from django.core import signing
from django.urls import reverse

from strategy import owner_links
from strategy.models import Action, ActionStatus, OwnerLink, ProgressNote, ProgressVia

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 26, 12, 0), tick=False)


def post_update(client, path, **data):
    values = {"status": ActionStatus.AT_RISK, "note": "Two sessions were cancelled.", "author_name": "Hannah"}
    values.update(data)
    return client.post(path, values)


def test_owner_updates_own_action(client, action_a):
    path = owner_links.owner_path(action_a)
    page = client.get(path).content.decode()
    assert "Action of agency A" in page and "Send update" in page
    response = post_update(client, path)
    assert response.status_code == 302 and response["Location"] == path
    action = Action.objects.get(pk=action_a.pk)
    assert action.status == ActionStatus.AT_RISK
    note = ProgressNote.objects.get()
    assert (note.via, note.author_name, note.author, note.note) == (
        ProgressVia.OWNER_LINK,
        "Hannah",
        None,
        "Two sessions were cancelled.",
    )
    assert "Two sessions were cancelled." in client.get(path).content.decode()


def test_owner_form_errors_are_shown_and_nothing_written(client, action_a):
    response = post_update(client, owner_links.owner_path(action_a), note="")
    assert response.status_code == 200
    assert "Enter a progress note: what has happened since the last update." in response.content.decode()
    assert not ProgressNote.objects.exists()


def assert_refused(client, path, heading, action):
    response = post_update(client, path)
    page = response.content.decode()
    assert response.status_code == 403
    assert heading in page and "Nothing has been changed." in page
    assert Action.objects.get(pk=action.pk).status == ActionStatus.NOT_STARTED
    assert not ProgressNote.objects.exists()


def legacy_path(action, *, pk=None, salt=owner_links.SALT):
    """A link as sent before the tokens became opaque: a signed payload of the id and address."""
    token = signing.TimestampSigner(salt=salt).sign_object({"a": action.pk, "e": action.owner_email})
    return reverse("strategy:owner_update_legacy", kwargs={"pk": pk or action.pk, "token": token})


def _decodings(text):
    """Every way the link's parts could be read back: as is, and as base64 (padded)."""
    for part in re.split(r"[/:._-]", text):
        yield part
        for alphabet in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                yield alphabet(part + "=" * (-len(part) % 4)).decode("latin-1")
            except (binascii.Error, ValueError):
                pass


def test_the_link_holds_nothing_that_decodes_to_the_owner_or_the_action(action_a):
    url = owner_links.owner_url(action_a)
    token = url.rstrip("/").rsplit("/", 1)[1]
    for reading in [url, token, *_decodings(url)]:
        assert action_a.owner_email not in reading
        assert action_a.owner_email.split("@")[0] not in reading
    assert f"/{action_a.pk}/" not in url
    link = OwnerLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(OwnerLink.objects.values().get())


def test_forged_link_is_refused(client, action_a):
    token = owner_links.owner_token(action_a)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert_refused(
        client, reverse("strategy:owner_update", args=[forged]), "This link does not work", action_a
    )


def test_an_old_signed_link_still_works_until_it_expires(client, action_a, time_machine):
    path = legacy_path(action_a)
    assert client.get(path).status_code == 200
    response = post_update(client, path)
    assert response.status_code == 302 and response["Location"] == path
    assert ProgressNote.objects.count() == 1
    time_machine.move_to(datetime.datetime(2027, 1, 11, 12, 0), tick=False)  # 46 days later
    response = post_update(client, path)
    assert response.status_code == 403 and "This link has expired" in response.content.decode()
    assert ProgressNote.objects.count() == 1


def test_an_old_signed_link_for_one_action_does_not_open_another(client, action_a, action_b):
    assert_refused(client, legacy_path(action_a, pk=action_b.pk), "This link does not work", action_b)


def test_an_old_link_signed_for_something_else_is_refused(client, action_a):
    assert_refused(client, legacy_path(action_a, salt="some.other.salt"), "This link does not work", action_a)


def test_expired_link_is_refused(client, action_a, time_machine):
    path = owner_links.owner_path(action_a)
    time_machine.move_to(datetime.datetime(2027, 1, 11, 12, 0), tick=False)  # 46 days later
    assert_refused(client, path, "This link has expired", action_a)


def test_link_still_works_on_day_45(client, action_a, time_machine):
    path = owner_links.owner_path(action_a)
    time_machine.move_to(datetime.datetime(2027, 1, 10, 11, 0), tick=False)
    assert client.get(path).status_code == 200


def test_link_of_a_former_owner_is_refused(client, action_a, lead):
    path = owner_links.owner_path(action_a)
    Action.objects.filter(pk=action_a.pk).update(owner_email="someone.else@example.org")
    response = post_update(client, path)
    assert response.status_code == 403
    assert "This action now has a different owner" in response.content.decode()
    assert not ProgressNote.objects.exists()


def test_link_gives_no_access_to_other_pages(client, action_a):
    client.get(owner_links.owner_path(action_a))
    assert client.get(reverse("strategy:action_detail", args=[action_a.pk])).status_code == 302
    assert client.get(reverse("strategy:action_list")).status_code == 302


def test_owner_url_is_absolute(action_a, settings):
    settings.SITE_URL = "https://tracker.example.org"
    assert owner_links.owner_url(action_a).startswith("https://tracker.example.org/strategy/actions/update/")


def test_links_are_purged_a_day_after_they_expire(action_a, time_machine):
    owner_links.owner_token(action_a)
    time_machine.move_to(datetime.datetime(2027, 1, 10, 12, 0), tick=False)
    fresh = owner_links.owner_token(action_a)
    assert owner_links.owner_links_purge() == 0
    time_machine.move_to(datetime.datetime(2027, 1, 12, 12, 1), tick=False)  # 47 days after the first
    assert owner_links.owner_links_purge() == 1
    assert owner_links.action_for_token(fresh) == action_a
