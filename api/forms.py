from django import forms


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the token is for, so you recognise it later. For example: Payroll sync.",
        error_messages={"required": "Enter a name for the token"},
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Leave empty for a token that does not expire. For example: 90.",
        error_messages={
            "invalid": "Enter the number of days as a whole number, like 90",
            "min_value": "A token must last at least 1 day",
            "max_value": "A token can last 3650 days (10 years) at most",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
    )
