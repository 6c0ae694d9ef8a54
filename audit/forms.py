"""The audit-log page's filters: a GET form, so a search can be bookmarked, shared and downloaded,
and works without JavaScript. A field with an error is left out of the filtering (and shown with
its message), so a typing mistake never empties the page."""

from django import forms

from . import actions

DATE_HINT = "For example, 4/3/2026"


def _date_field(label):
    return forms.DateField(
        label=label,
        required=False,
        help_text=DATE_HINT,
        widget=forms.DateInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}),
        error_messages={"invalid": f"Enter the “{label.lower()}” date as a real date, for example 4/3/2026."},
    )


class AuditFilterForm(forms.Form):
    is_filter = True  # no "(optional)" after every label (config.forms)

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Words in the description, a file or record name, a username or a client address",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    actor = forms.CharField(
        label="Who",
        required=False,
        max_length=150,
        help_text="A username or email address, or part of one",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    action = forms.ChoiceField(
        label="What", choices=lambda: [("", "Any event"), *actions.choices()], required=False
    )
    since = _date_field("From")
    until = _date_field("To")

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["action"].error_messages["invalid_choice"] = "Select an event from the list."

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The “to” date must be the same as or after the “from” date.")
            cleaned.pop("until", None)
        return cleaned

    def filters(self) -> dict:
        """The valid choices as keyword arguments of audit.selectors.audit_events."""
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = self.cleaned_data
        found = {
            "search": (cleaned.get("q") or "").strip(),
            "actor": (cleaned.get("actor") or "").strip(),
            "action": cleaned.get("action") or None,
            "since": cleaned.get("since"),
            "until": cleaned.get("until"),
        }
        return {name: value for name, value in found.items() if value}
