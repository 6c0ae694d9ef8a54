"""An owner's signed link updates their own action only; forged, expired and other-action links are
refused with a helpful page and change nothing."""

import datetime

import pytest
from django.core import signing
from django.urls import reverse

from strategy import owner_links
from strategy.models import Action, ActionStatus, ProgressNote, ProgressVia

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


def test_link_for_one_action_does_not_open_another(client, action_a, action_b):
    token_a = owner_links.owner_token(action_a)
    path = reverse("strategy:owner_update", kwargs={"pk": action_b.pk, "token": token_a})
    assert_refused(client, path, "This link does not work", action_b)


def test_forged_link_is_refused(client, action_a):
    token = owner_links.owner_token(action_a)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert_refused(
        client,
        reverse("strategy:owner_update", args=[action_a.pk, forged]),
        "This link does not work",
        action_a,
    )
    tampered = signing.TimestampSigner(salt="some.other.salt").sign_object(
        {"a": action_a.pk, "e": action_a.owner_email}
    )
    assert_refused(
        client,
        reverse("strategy:owner_update", args=[action_a.pk, tampered]),
        "This link does not work",
        action_a,
    )


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
    assert owner_links.owner_url(action_a).startswith(
        f"https://tracker.example.org/strategy/actions/{action_a.pk}/update/"
    )
