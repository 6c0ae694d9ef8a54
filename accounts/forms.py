"""allauth's second-factor forms with the tracker's words (the GOV.UK renderer draws them)."""

from allauth.mfa.base import forms as base_forms
from allauth.mfa.totp import forms as totp_forms

CODE_HINT = (
    "The 6-digit code your authenticator app shows now. Lost your phone? Enter one of your recovery codes."
)


def _code_field(form, label, hint):
    field = form.fields["code"]
    field.label = label
    field.help_text = hint
    field.widget.attrs.pop("placeholder", None)
    field.widget.attrs.update(
        {
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "spellcheck": "false",
            "class": "govuk-input--width-10",
        }
    )
    field.error_messages["required"] = "Enter the code from your authenticator app"


class AuthenticateForm(base_forms.AuthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _code_field(self, "Code", CODE_HINT)


class ReauthenticateForm(base_forms.ReauthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _code_field(self, "Code", CODE_HINT)


class ActivateTOTPForm(totp_forms.ActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _code_field(self, "Code from the app", "The 6-digit code the app shows once it has the key.")


class DeactivateTOTPForm(totp_forms.DeactivateTOTPForm):
    pass
