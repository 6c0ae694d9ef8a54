"""Forms for recording, declaring and verifying completions and for exemptions.

The rules themselves live in training.services (completion_check, completion_record...); forms
check the shape of what was typed and hand the service's own messages back to the page.
"""

from django import forms
from django.utils import timezone

from workforce.forms import DATE_HINT, date_field
from workforce.models import Agency

from .. import certificates
from ..models import ExemptionReason, Module


def _not_in_future(day, what="The completion date"):
    if day and day > timezone.localdate():
        raise forms.ValidationError(f"{what} cannot be in the future.")
    return day


def apply_service_errors(form, error):
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class ActiveModuleField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.title}"


# ---------------------------------------------------------------------------------------------
# Staff member: declare a completion
# ---------------------------------------------------------------------------------------------


class DeclareCompletionForm(forms.Form):
    module = forms.TypedChoiceField(
        label="Training module",
        coerce=int,
        error_messages={
            "required": "Select the training module you completed.",
            "invalid_choice": "Select the training module you completed from the list.",
        },
    )
    completed_on = date_field("Date you completed it", help_text="The date on your certificate. " + DATE_HINT)
    certificate = forms.FileField(
        label="Certificate",
        help_text="A PDF, PNG or JPEG file of 10 MB or less: a scan or a photo of the certificate is fine.",
        error_messages={"required": "Choose your certificate file.", "empty": "The file you chose is empty."},
        widget=forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
    )
    notes = forms.CharField(
        label="Anything the lead should know",
        required=False,
        max_length=2000,
        help_text="For example, who ran the course, or why the name on the certificate differs.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, module_groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].choices = [("", "Choose a module"), *module_groups]
        self.module_ids = {pk for _, choices in module_groups for pk, _ in choices}

    def clean_module(self):
        pk = self.cleaned_data["module"]
        module = Module.objects.filter(pk=pk, active=True).first() if pk in self.module_ids else None
        if module is None:
            raise forms.ValidationError("Select the training module you completed.")
        return module

    def clean_completed_on(self):
        return _not_in_future(self.cleaned_data["completed_on"])

    def clean_certificate(self):
        upload = self.cleaned_data["certificate"]
        try:
            certificates.certificate_check(upload)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["certificate"]) from None
        return upload


# ---------------------------------------------------------------------------------------------
# Lead: record one completion, or a register
# ---------------------------------------------------------------------------------------------


class RecordCompletionForm(forms.Form):
    module = ActiveModuleField(
        label="Training module",
        queryset=Module.objects.filter(active=True).order_by("code"),
        empty_label="Choose a module",
        error_messages={"required": "Select the training module."},
    )
    completed_on = date_field("Completion date")
    certificate_reference = forms.CharField(
        label="Certificate reference",
        required=False,
        max_length=200,
        help_text="The certificate or course number, if there is one.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_completed_on(self):
        return _not_in_future(self.cleaned_data["completed_on"])


class RegisterSearchForm(forms.Form):
    """The GET form that finds people to tick: results can be bookmarked and need no JavaScript."""

    is_filter = True  # no "(optional)" after every label (config.forms)

    agency = forms.ModelChoiceField(
        label="Agency", queryset=Agency.objects.none(), required=False, empty_label="All agencies"
    )
    q = forms.CharField(
        label="Name, staff number or email",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies


class RegisterForm(forms.Form):
    module = ActiveModuleField(
        label="Training module",
        queryset=Module.objects.filter(active=True).order_by("code"),
        empty_label="Choose a module",
        error_messages={"required": "Select the training module."},
    )
    completed_on = date_field("Date of the session")
    agency = forms.ModelChoiceField(
        label="Match the list within",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="All agencies",
        help_text="Choose an agency when one email address or staff number is used in two agencies.",
    )
    people = forms.ModelMultipleChoiceField(
        label="People found",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick everyone who attended.",
    )
    entries = forms.CharField(
        label="Staff numbers or email addresses",
        required=False,
        max_length=100_000,
        help_text="One per line, or separated by commas. Each must match exactly one current member "
        "of staff.",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )

    def __init__(self, *args, agencies, candidates, shown, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["people"].queryset = candidates
        # Only the people found by the search are shown; any current person in scope is accepted.
        self.fields["people"].widget.choices = [(person.pk, _person_label(person)) for person in shown]

    def clean_completed_on(self):
        return _not_in_future(self.cleaned_data["completed_on"], "The date of the session")

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("people") and not cleaned.get("entries", "").strip():
            raise forms.ValidationError(
                "Tick the people who attended, or paste their staff numbers or emails."
            )
        return cleaned


def _person_label(person):
    return f"{person.full_name} – {person.staff_number}, {person.agency.name}"


# ---------------------------------------------------------------------------------------------
# Lead: verification decisions
# ---------------------------------------------------------------------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Why it cannot be accepted",
        max_length=2000,
        help_text="The person is emailed this, so say what they should do next.",
        error_messages={"required": "Enter the reason, so the person knows what to do next."},
        widget=forms.Textarea(attrs={"rows": 4}),
    )


# ---------------------------------------------------------------------------------------------
# Lead: exemptions
# ---------------------------------------------------------------------------------------------


class ExemptionForm(forms.Form):
    module = ActiveModuleField(
        label="Module",
        queryset=Module.objects.filter(active=True).order_by("code"),
        required=False,
        empty_label="All modules",
        help_text="Leave as “All modules” for, say, long-term absence.",
    )
    reason = forms.ChoiceField(
        label="Reason",
        choices=ExemptionReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the reason for the exemption."},
    )
    details = forms.CharField(
        label="Details",
        required=False,
        max_length=2000,
        help_text="For example, the equivalent qualification and when it was gained. Needed for “Other”.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts_on = date_field("Start date")
    ends_on = date_field(
        "End date", required=False, help_text="The last day covered. Leave empty while it is open-ended."
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == ExemptionReason.OTHER and not cleaned.get("details", "").strip():
            self.add_error("details", "Give the details of the reason.")
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The end date must be on or after the start date.")
        return cleaned


class ExemptionEndForm(forms.Form):
    ends_on = date_field(
        "Last day of the exemption",
        help_text="The person is exempt up to and including this day. " + DATE_HINT,
    )
