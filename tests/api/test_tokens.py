"""Tokens: stored hashed, shown once, expiry, revocation, last use, the page and api_token."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from api.models import ApiToken
from api.services import TokenRefused, api_token_create, api_token_revoke, token_hash
from tests.api.conftest import client_for

PAGE = "/accounts/api-tokens/"


@pytest.mark.django_db
class TestStorage:
    def test_the_token_table_never_holds_a_usable_token(self, lead):
        token, key = api_token_create(user=lead, name="Payroll", actor=lead)
        row = ApiToken.objects.filter(pk=token.pk).values().get()
        history = list(ApiToken.history.filter(id=token.pk).values())
        for value in [*row.values(), *(v for h in history for v in h.values())]:
            assert key not in str(value)
        assert row["key_hash"] == token_hash(key) and row["prefix"] == key[:8]
        assert client_for(row["key_hash"]).get("/api/v1/modules/").status_code == 401

    def test_creation_and_revocation_are_in_the_history(self, lead):
        token, _key = api_token_create(user=lead, name="Payroll", actor=lead)
        api_token_revoke(token=token, actor=lead)
        kinds = list(token.history.order_by("history_date").values_list("history_type", "history_user"))
        assert kinds == [("+", lead.pk), ("~", lead.pk)]

    def test_last_use_is_recorded(self, lead):
        token, key = api_token_create(user=lead, name="x", actor=lead)
        assert client_for(key).get("/api/v1/modules/").status_code == 200
        token.refresh_from_db()
        assert token.last_used_at is not None
        assert token.history.count() == 1  # use is not an audited change

    def test_staff_and_outsiders_have_no_tokens(self, outsider):
        with pytest.raises(TokenRefused, match="neither a partnership lead nor Agency HR"):
            api_token_create(user=outsider, name="x", actor=outsider)
        assert not ApiToken.objects.exists()

    def test_expiry_is_the_end_of_its_last_day(self, lead, time_machine):
        time_machine.move_to(datetime.datetime(2026, 3, 4, 12, tzinfo=datetime.UTC), tick=False)
        token, key = api_token_create(user=lead, name="x", expires_in_days=1, actor=lead)
        assert token.expires_on == datetime.date(2026, 3, 5)
        assert client_for(key).get("/api/v1/modules/").status_code == 200
        time_machine.move_to(datetime.datetime(2026, 3, 5, 12, tzinfo=datetime.UTC), tick=False)
        response = client_for(key).get("/api/v1/modules/")
        assert response.status_code == 401
        assert response.json()["detail"] == (
            "This API token expired on 2026-03-05. Make a new one under Your account, API tokens."
        )


@pytest.mark.django_db
class TestPage:
    def test_a_lead_creates_a_token_shown_once(self, client, lead):
        client.force_login(lead)
        response = client.post(PAGE, {"name": "Power BI", "expires_in_days": "90"})
        assert response.status_code == 200
        key = response.context["new_key"]
        assert key and key.encode() in response.content
        token = ApiToken.objects.get()
        assert token.name == "Power BI" and token.expires_on == timezone.localdate() + datetime.timedelta(
            days=90
        )
        again = client.get(PAGE)
        assert key.encode() not in again.content and token.prefix.encode() in again.content

    def test_hr_creates_and_revokes_their_own(self, client, hr_a):
        client.force_login(hr_a)
        key = client.post(PAGE, {"name": "HR system"}).context["new_key"]
        token = ApiToken.objects.get()
        response = client.post(f"{PAGE}{token.pk}/revoke/", follow=True)
        assert "revoked" in response.content.decode()
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert client_for(key).get("/api/v1/modules/").status_code == 401

    def test_nobody_revokes_another_persons_token(self, client, hr_a, hr_b):
        token, _key = api_token_create(user=hr_b, name="B", actor=hr_b)
        client.force_login(hr_a)
        assert client.post(f"{PAGE}{token.pk}/revoke/").status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None
        assert list(client.get(PAGE).context["tokens"]) == []

    def test_revoke_is_a_post(self, client, lead):
        token, _key = api_token_create(user=lead, name="x", actor=lead)
        client.force_login(lead)
        assert client.get(f"{PAGE}{token.pk}/revoke/").status_code == 405

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"name": ""}, "Enter a name for the token"),
            ({"name": "x", "expires_in_days": "soon"}, "Enter the number of days as a whole number, like 90"),
            ({"name": "x", "expires_in_days": "0"}, "A token must last at least 1 day"),
        ],
    )
    def test_form_errors(self, client, lead, data, message):
        client.force_login(lead)
        response = client.post(PAGE, data)
        assert message in response.content.decode()
        assert response.context["new_key"] is None
        assert not ApiToken.objects.exists()

    def test_outsiders_get_404_and_anonymous_users_sign_in(self, client, outsider):
        assert client.get(PAGE).status_code == 302
        client.force_login(outsider)
        assert client.get(PAGE).status_code == 404
        assert client.post(PAGE, {"name": "x"}).status_code == 404
        assert not ApiToken.objects.exists()


@pytest.mark.django_db
class TestCommand:
    def test_prints_one_json_object_and_the_token_works(self, lead):
        out = io.StringIO()
        call_command(
            "api_token",
            "--user",
            "lead",
            "--name",
            "Provider",
            "--expires-in-days",
            "30",
            "--json",
            stdout=out,
        )
        body = json.loads(out.getvalue())
        assert set(body) == {"token", "name", "expires_on"}
        assert body["name"] == "Provider"
        assert body["expires_on"] == (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
        assert client_for(body["token"]).get("/api/v1/modules/").status_code == 200
        assert ApiToken.objects.get().key_hash == token_hash(body["token"])

    def test_no_expiry_is_null(self, lead):
        out = io.StringIO()
        call_command("api_token", "--user", "lead", "--json", stdout=out)
        assert json.loads(out.getvalue())["expires_on"] is None

    def test_refused_for_a_user_without_a_role_exit_1(self, outsider):
        out = io.StringIO()
        with pytest.raises(SystemExit) as exit_info:
            call_command("api_token", "--user", "outsider", "--json", stdout=out, stderr=io.StringIO())
        assert exit_info.value.code == 1
        assert "neither a partnership lead" in json.loads(out.getvalue())["error"]
        assert not ApiToken.objects.exists()

    def test_unknown_user_exit_2(self, db):
        from django.core.management import CommandError

        with pytest.raises(CommandError, match="no user called 'ghost'") as error:
            call_command("api_token", "--user", "ghost", "--json")
        assert error.value.returncode == 2
        assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_throttled_per_token_with_retry_after(settings, lead, hr_a, token_of):
    settings.API_THROTTLE_RATE = "3/minute"
    lead_api = client_for(token_of(lead))
    for _ in range(3):
        assert lead_api.get("/api/v1/modules/").status_code == 200
    response = lead_api.get("/api/v1/modules/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()
    # Another token has its own allowance.
    assert client_for(token_of(hr_a)).get("/api/v1/modules/").status_code == 200
