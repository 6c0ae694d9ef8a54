from django import forms

from workforce.models import Agency


class BoardReportForm(forms.Form):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label="The whole partnership",
        to_field_name="slug",
        label="Agency",
        error_messages={"invalid_choice": "Choose an agency from the list"},
    )
    on = forms.DateField(
        label="Date",
        required=False,
        help_text="The figures as they stood on this day, for example 31/03/2026. Blank: today.",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={"invalid": "Enter the date as day/month/year, for example 31/03/2026"},
    )


class WhatIfForm(forms.Form):
    """A change to one module, to preview (and then apply)."""

    module = forms.ModelChoiceField(
        queryset=None,
        to_field_name="code",
        label="Module",
        empty_label="Choose a module",
        error_messages={
            "required": "Choose the module to change",
            "invalid_choice": "Choose a module from the list",
        },
    )
    validity_months = forms.CharField(
        label="Valid for (months)",
        required=False,
        help_text="Blank: unchanged. A whole number of months, or “never” for training that does not expire.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "spellcheck": "false"}),
    )
    renewal_window_days = forms.IntegerField(
        label="Renewal window (days before expiry)",
        required=False,
        min_value=0,
        max_value=365,
        help_text="Blank: unchanged.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Renewal window must be a whole number of days",
            "min_value": "Renewal window must be 0 days or more",
            "max_value": "Renewal window must be 365 days or fewer",
        },
    )
    due_within_days = forms.IntegerField(
        label="Due within (days)",
        required=False,
        min_value=0,
        max_value=3650,
        help_text="Blank: unchanged. Days after joining (or the requirement starting) by which it is due, "
        "for every job role that requires the module.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Due within must be a whole number of days",
            "min_value": "Due within must be 0 days or more",
            "max_value": "Due within must be 3,650 days or fewer",
        },
    )
    require = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Job roles that would have to do it",
        widget=forms.CheckboxSelectMultiple,
    )
    unrequire = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Job roles that would no longer need it",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        from training.models import Module
        from workforce.models import JobRole

        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = Module.objects.filter(active=True).order_by("code")
        roles = JobRole.objects.order_by("tier", "name")
        self.fields["require"].queryset = roles
        self.fields["unrequire"].queryset = roles

    def clean_validity_months(self):
        raw = self.cleaned_data["validity_months"].strip().lower()
        if raw in ("", "never"):
            return raw
        if not raw.isdigit() or not 1 <= int(raw) <= 240:
            raise forms.ValidationError(
                "Valid for must be a whole number of months from 1 to 240, or “never”"
            )
        return int(raw)

    def clean(self):
        from training.models import Requirement

        from .whatif import UNCHANGED, Change

        data = super().clean()
        module = data.get("module")
        if module is None or self.errors:
            return data
        required_by = set(Requirement.objects.filter(module=module).values_list("job_role_id", flat=True))
        require, unrequire = list(data.get("require") or []), list(data.get("unrequire") or [])
        already = [role.name for role in require if role.pk in required_by]
        if already:
            self.add_error(
                "require",
                f"{', '.join(already)} already {'has' if len(already) == 1 else 'have'} to do {module.code}",
            )
        not_required = [role.name for role in unrequire if role.pk not in required_by]
        if not_required:
            self.add_error("unrequire", f"{module.code} is not required of {', '.join(not_required)}")
        validity = data.get("validity_months")
        change = Change(
            module=module,
            validity_months=UNCHANGED if validity == "" else (None if validity == "never" else validity),
            renewal_window_days=UNCHANGED
            if data.get("renewal_window_days") is None
            else data["renewal_window_days"],
            due_within_days=UNCHANGED if data.get("due_within_days") is None else data["due_within_days"],
            require=require,
            unrequire=unrequire,
        )
        if change.empty and not self.errors:
            raise forms.ValidationError(
                "Say what would change: a validity, a renewal window, a due-within period or job roles"
            )
        data["change"] = change
        return data
