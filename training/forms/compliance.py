"""The filters of the compliance pages: a GET form, so that a filtered view can be bookmarked,
shared and downloaded, and works without JavaScript."""

from django import forms

from workforce import access
from workforce.models import JobRole, Team, Tier

from ..compliance import Status
from ..models import Module
from ..selectors.compliance import ComplianceFilters

FILTER_FIELDS = ("agency", "team", "job_role", "tier", "module", "status")
CHOICE_MESSAGES = {
    "agency": "Select an agency from the list.",
    "team": "Select a team from the list.",
    "job_role": "Select a job role from the list.",
    "tier": "Select a tier from the list.",
    "module": "Select a module from the list.",
    "status": "Select a status from the list.",
}


class _ModuleField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.title}"


class _TeamField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # Team names repeat across agencies ("Duty and assessment"), so the agency comes first.
        return f"{obj.agency.name}: {obj.name}"


class ComplianceFilterForm(forms.Form):
    """Narrow the figures to an agency, team, job role, tier or module, and choose a status.

    Choices are scoped to what the user may see (workforce.access): Agency HR users are offered
    their own agency's teams only. Agencies and modules are chosen by slug and code, so links read
    well (?agency=northshire-police&module=HSB-101).
    """

    is_filter = True  # no "(optional)" after every label (config.forms)

    agency = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="All agencies"
    )
    team = _TeamField(queryset=None, required=False, empty_label="All teams")
    job_role = forms.ModelChoiceField(
        queryset=JobRole.objects.order_by("name"), required=False, empty_label="All job roles"
    )
    tier = forms.TypedChoiceField(
        choices=[("", "All tiers"), *Tier.choices], coerce=int, required=False, empty_value=None
    )
    module = _ModuleField(
        queryset=Module.objects.filter(active=True).order_by("code"),
        required=False,
        to_field_name="code",
        empty_label="All modules",
    )
    status = forms.TypedChoiceField(
        choices=[("", "Any status"), *((status.value, status.label) for status in Status)],
        coerce=Status,
        required=False,
        empty_value=None,
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        agencies = access.visible_agencies(user).order_by("name")
        self.fields["agency"].queryset = agencies
        self.fields["team"].queryset = (
            Team.objects.filter(agency__in=agencies).select_related("agency").order_by("agency__name", "name")
        )
        for name, message in CHOICE_MESSAGES.items():
            if name in self.fields:  # a list may leave out a filter that does not apply to it
                self.fields[name].widget.attrs.setdefault("class", "app-filter__control")
                self.fields[name].error_messages["invalid_choice"] = message

    def filters(self) -> ComplianceFilters:
        """The filters to apply: each valid choice; a field with an error is left out (and shown)."""
        if not self.is_bound:
            return ComplianceFilters()
        self.is_valid()
        cleaned = self.cleaned_data
        return ComplianceFilters(**{name: cleaned.get(name) for name in FILTER_FIELDS})


class PeopleFilterForm(ComplianceFilterForm):
    """The filters of a list of people: the dashboard's, and a search by name, staff number or email."""

    q = forms.CharField(
        label="Name, staff number or email",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "app-filter__control",
            }
        ),
    )

    def query(self) -> str:
        if not self.is_bound or not self.is_valid():
            return ""
        return " ".join(self.cleaned_data["q"].split())


def _percent_field(label, *, required, help_text=""):
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=1,
        max_value=100,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "class": "govuk-input--width-3", "spellcheck": "false"}
        ),
        error_messages={
            "required": f"Enter the {label.lower()} as a whole percentage, for example 90",
            "invalid": f"{label} must be a whole number from 1 to 100, without the % sign",
            "min_value": f"{label} must be 1%% or more",
            "max_value": f"{label} must be 100%% or less",
        },
    )


class TargetsForm(forms.Form):
    """The partnership target, and optional per-tier and per-module targets (blank: the
    partnership's applies)."""

    def __init__(self, *args, targets, modules, **kwargs):
        super().__init__(*args, **kwargs)
        self.modules = list(modules)
        self.fields["partnership"] = _percent_field(
            "Partnership target",
            required=True,
            help_text="The compliance rate the whole partnership aims for, in percent.",
        )
        self.initial["partnership"] = targets.partnership
        for tier in Tier:
            name = f"tier_{tier.value}"
            self.fields[name] = _percent_field(f"Tier {tier.label}", required=False)
            self.initial[name] = targets.tiers.get(tier.value)
        for module in self.modules:
            name = f"module_{module.pk}"
            self.fields[name] = _percent_field(f"{module.code} {module.title}", required=False)
            self.initial[name] = targets.modules.get(module.pk)

    def tier_fields(self):
        return [self[f"tier_{tier.value}"] for tier in Tier]

    def module_fields(self):
        return [self[f"module_{module.pk}"] for module in self.modules]

    def targets(self):
        data = self.cleaned_data
        return {
            "partnership": data["partnership"],
            "tiers": {tier.value: data.get(f"tier_{tier.value}") for tier in Tier},
            "modules": {module: data.get(f"module_{module.pk}") for module in self.modules},
        }


class VerificationFilterForm(PeopleFilterForm):
    """The verification queue's filters: the people list's but status (every certificate in the
    queue is waiting for a decision). Modules include retired ones: a certificate may be for one."""

    status = None

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, **kwargs)
        self.fields["module"].queryset = Module.objects.order_by("code")
