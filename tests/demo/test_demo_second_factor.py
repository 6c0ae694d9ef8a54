"""The demo users have the second factor they must have: seed_demo sets up an authenticator app for
each with a key it writes to the logins file, and `demo_code` prints the code an app would show."""

import re
from io import StringIO
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.urls import reverse

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.real_second_factor,
    pytest.mark.usefixtures("isolated_cache"),
]


@pytest.fixture(autouse=True)
def logins_file(settings, tmp_path):
    settings.DEMO_LOGINS_FILE = str(tmp_path / "demo-logins.txt")
    return Path(settings.DEMO_LOGINS_FILE)


def seed():
    call_command("seed_demo", "--staff", "0", "--json", stdout=StringIO(), stderr=StringIO())


def demo_code():
    out = StringIO()
    call_command("demo_code", stdout=out)
    return dict(re.findall(r"^(\w+): (\d{6})$", out.getvalue(), re.MULTILINE)), out.getvalue()


def test_each_demo_user_gets_an_authenticator_app_whose_key_is_in_the_logins_file(logins_file):
    seed()
    text = logins_file.read_text()
    keys = dict(re.findall(r"authenticator key for (\w+): ([A-Z2-7]+)", text))
    assert set(keys) == {"lead", "hr"}
    assert Authenticator.objects.filter(type="totp", user__username__in=keys).count() == 2
    assert "manage.py demo_code" in text


def test_the_demo_lead_signs_in_with_the_password_and_the_printed_code(client, logins_file):
    seed()
    password = re.search(r"username: lead  password: (\S+)", logins_file.read_text()).group(1)
    response = client.post(reverse("login"), {"username": "lead", "password": password})
    assert response["Location"] == reverse("mfa_authenticate")
    codes, printed = demo_code()
    assert "These codes change in" in printed
    assert client.post(reverse("mfa_authenticate"), {"code": codes["lead"]})["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_second_run_keeps_the_keys(logins_file):
    seed()
    first = logins_file.read_text()
    seed()
    assert logins_file.read_text() == first
    assert Authenticator.objects.filter(type="totp").count() == 2


def test_demo_code_without_demo_data_says_what_to_run():
    with pytest.raises(CommandError, match="run `manage.py seed_demo` first"):
        call_command("demo_code", stdout=StringIO())
