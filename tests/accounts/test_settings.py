"""The sign-in settings: single sign-on is all three OIDC_* values or none, passwords can be turned
off only when it is on, and the provider shows up as allauth's app. Each case in a fresh interpreter
(tests/config/test_settings.py's helpers)."""

from tests.config.test_settings import good_secret_key, last_line, read_settings, show_settings

BASE = {"SECRET_KEY": good_secret_key(), "ALLOWED_HOSTS": "example.org"}
OIDC = {
    "OIDC_SERVER_URL": "https://login.microsoftonline.com/tenant/v2.0/",
    "OIDC_CLIENT_ID": "client",
    "OIDC_CLIENT_SECRET": "secret",
}


def test_defaults_have_no_single_sign_on_and_require_hr_to_have_a_second_factor():
    shown = show_settings(
        [
            "SOCIALACCOUNT_PROVIDERS",
            "PASSWORD_SIGNIN_ENABLED",
            "MFA_REQUIRED_GROUPS",
            "OIDC_EMAIL_VERIFIED_CLAIMS",
        ],
        **BASE,
    )
    assert shown["SOCIALACCOUNT_PROVIDERS"]["openid_connect"]["APPS"] == []
    assert shown["PASSWORD_SIGNIN_ENABLED"] is True
    assert shown["MFA_REQUIRED_GROUPS"] == ["Agency HR"]
    assert shown["OIDC_EMAIL_VERIFIED_CLAIMS"] == ["email_verified", "xms_edov"]


def test_the_three_oidc_values_make_one_provider():
    shown = show_settings(["SOCIALACCOUNT_PROVIDERS"], OIDC_PROVIDER_NAME="Microsoft 365", **BASE, **OIDC)
    (app,) = shown["SOCIALACCOUNT_PROVIDERS"]["openid_connect"]["APPS"]
    assert app["provider_id"] == "sso" and app["name"] == "Microsoft 365"
    assert app["settings"] == {
        "server_url": "https://login.microsoftonline.com/tenant/v2.0",
        "oauth_pkce_enabled": True,
    }


def test_an_empty_group_list_makes_the_second_factor_optional_for_hr():
    assert show_settings(["MFA_REQUIRED_GROUPS"], MFA_REQUIRED_GROUPS="", **BASE)["MFA_REQUIRED_GROUPS"] == []


def test_part_of_the_oidc_values_names_the_missing_ones():
    result = read_settings(**BASE, OIDC_SERVER_URL=OIDC["OIDC_SERVER_URL"])
    assert result.returncode != 0
    assert last_line(result.stderr).endswith(
        "Single sign-on needs OIDC_SERVER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: "
        "set OIDC_CLIENT_ID, OIDC_CLIENT_SECRET."
    )


def test_passwords_cannot_be_turned_off_without_single_sign_on():
    result = read_settings(**BASE, PASSWORD_SIGNIN_ENABLED="false")
    assert result.returncode != 0
    assert "nobody could sign in" in last_line(result.stderr)
    assert read_settings(**BASE, **OIDC, PASSWORD_SIGNIN_ENABLED="false").returncode == 0


def test_a_malformed_switch_names_the_variable():
    result = read_settings(**BASE, PASSWORD_SIGNIN_ENABLED="sometimes")
    assert "PASSWORD_SIGNIN_ENABLED must be true or false" in last_line(result.stderr)


def test_a_provider_id_that_would_break_the_redirect_uri_is_refused():
    result = read_settings(**BASE, **OIDC, OIDC_PROVIDER_ID="Entra/ID")
    assert "OIDC_PROVIDER_ID must be lower-case letters" in last_line(result.stderr)
