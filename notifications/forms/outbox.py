"""The outbox page's filters: a GET form, so a filtered outbox can be bookmarked and shared, and
works without JavaScript. Agencies are chosen by slug so links read well (?agency=northshire-police).
"""

from django import forms

from training.models import Module
from workforce.forms import date_field
from workforce.models import Agency, JobRole, Team, Tier

from .. import sources
from ..models import ItemStatus

# The status filter's choice that shows skipped items too. With no status chosen they are left out:
# catch-up records every earlier stage as skipped, so they outnumber everything else.
ALL = "all"


def _date_field(label):
    field = date_field(label, required=False)
    field.error_messages["invalid"] = f"Enter the {label.lower()} date as a real date, for example 4/3/2026."
    return field


class _TeamField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.agency.name}: {obj.name}"  # team names repeat across agencies


class _ModuleField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.title}"


class OutboxFilterForm(forms.Form):
    """Search and narrow the outbox. A field with an error is left out of the filtering (and shown
    with its message), so a typing mistake never empties the page."""

    is_filter = True  # no "(optional)" after every label (config.forms)

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Recipient email, staff name or number, or module code (for example HSB-101)",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    status = forms.ChoiceField(
        choices=[("", "Any but skipped"), *ItemStatus.choices, (ALL, "Any, including skipped")],
        required=False,
    )
    kind = forms.ChoiceField(choices=lambda: [("", "Any kind"), *sources.kind_choices()], required=False)
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.order_by("name"),
        required=False,
        to_field_name="slug",
        empty_label="All agencies",
    )
    team = _TeamField(
        queryset=Team.objects.select_related("agency").order_by("agency__name", "name"),
        required=False,
        empty_label="All teams",
    )
    job_role = forms.ModelChoiceField(
        queryset=JobRole.objects.order_by("name"), required=False, empty_label="All job roles"
    )
    tier = forms.TypedChoiceField(
        label="Tier (of the job role)",
        choices=[("", "All tiers"), *Tier.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    module = _ModuleField(
        queryset=Module.objects.order_by("code"),
        required=False,
        to_field_name="code",
        empty_label="All modules",
    )
    since = _date_field("Planned from")
    until = _date_field("Planned to")

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["status"].error_messages["invalid_choice"] = "Select a status from the list."
        self.fields["kind"].error_messages["invalid_choice"] = "Select a kind of reminder from the list."
        self.fields["agency"].error_messages["invalid_choice"] = "Select an agency from the list."
        self.fields["team"].error_messages["invalid_choice"] = "Select a team from the list."
        self.fields["job_role"].error_messages["invalid_choice"] = "Select a job role from the list."
        self.fields["tier"].error_messages["invalid_choice"] = "Select a tier from the list."
        self.fields["module"].error_messages["invalid_choice"] = "Select a module from the list."

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error(
                "until", "The “planned to” date must be the same as or after the “planned from” date."
            )
            cleaned.pop("until", None)
        return cleaned

    def filters(self) -> dict:
        """The valid choices, by name: `search`, `status` (a status, ALL, or missing for "any but
        skipped"), `kind`, `agency`, `team`, `job_role`, `tier`, `module`, `since` and `until`."""
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = self.cleaned_data
        found = {
            "search": (cleaned.get("q") or "").strip(),
            "status": cleaned.get("status"),
            "kind": cleaned.get("kind") or None,
            "agency": cleaned.get("agency"),
            "team": cleaned.get("team"),
            "job_role": cleaned.get("job_role"),
            "tier": cleaned.get("tier"),
            "module": cleaned.get("module"),
            "since": cleaned.get("since"),
            "until": cleaned.get("until"),
        }
        return {name: value for name, value in found.items() if value is not None and value != ""}
