from django import forms

from .selectors import StaffStatus


class StaffSearchForm(forms.Form):
    """The search box above an agency's staff list (a GET form: results can be bookmarked)."""

    q = forms.CharField(
        label="Search staff",
        required=False,
        max_length=200,
        help_text="Name, staff number or email address",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    status = forms.ChoiceField(choices=StaffStatus.choices, required=False, widget=forms.HiddenInput)

    def clean_status(self):
        return self.cleaned_data["status"] or StaffStatus.CURRENT

    def filters(self):
        """(q, status) to search with; an invalid query falls back to the whole current list."""
        if self.is_valid():
            return self.cleaned_data["q"].strip(), self.cleaned_data["status"]
        return "", StaffStatus.CURRENT


class SigninLinkRequestForm(forms.Form):
    """A staff member asks for a sign-in link to their own record (workforce.signin)."""

    email = forms.EmailField(
        label="Work email address",
        max_length=254,
        help_text="The address your agency's HR team has for you, for example name@agency.example.org",
        error_messages={
            "required": "Enter your work email address.",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false", "class": "govuk-!-width-two-thirds"}
        ),
    )
