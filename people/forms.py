"""Forms of the bulk actions on a list of people (people.views.bulk_action)."""

from django import forms
from django.utils import timezone

from training.forms.records import ActiveModuleField, ExemptionForm, date_field
from training.models import Module

ACTIONS = {
    "remind": "Send a reminder now",
    "exempt": "Record an exemption",
    "assign": "Add an assignment",
}


class BulkExemptionForm(ExemptionForm):
    """The exemption of every chosen person: the person page's exemption form, for many."""


class BulkAssignmentForm(forms.Form):
    module = ActiveModuleField(
        label="Module",
        queryset=Module.objects.filter(active=True).order_by("code"),
        error_messages={"required": "Select the module to assign."},
    )
    due_on = date_field(
        "Due date", help_text="When each person should have completed it. For example, 4/3/2026"
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=300,
        help_text="Optional. For example, “new safeguarding lead for the team”.",
    )

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError("The due date must be today or later.")
        return due_on
